-- A subscription the push service called gone (404 or 410): removed.
DELETE FROM push_subscriptions WHERE endpoint = ${endpoint}
