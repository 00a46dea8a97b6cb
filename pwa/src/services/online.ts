// The code a signed-in device needs only to talk to the service: the rest of the Device
// (ingest, composing, sync, the directory), the realtime socket and the outbox. One lazy
// chunk, loaded by messenger.ts right after the first paint (and precached by the service
// worker like every chunk): an offline start shows the list without it.
export { Device } from './device.ts';
// HIST3..HIST5: with the epoch code it uses, not a chunk of its own (restore and "I lost a device" load it from here).
export { archiveOwnEpochs, loadArchive } from './epoch-archive.ts';
export { deviceEvents } from './device-notices.ts';
export { Realtime } from './realtime.ts';
export { OutboxRunner } from './outbox-runner.ts';
export { flushOutbox } from './outbox-flush.ts';
export { Attention } from './attention.ts';
export { subscribePush, unsubscribePush } from './push.ts';
// Stored messages opened in memory and the list's previews (views.ts delegates to them).
export { plainOf, previewOf } from './message-opening.ts';
// One conversation's messages and events (views.ts delegates to them).
export { timelineEvents, timelineMessages } from './timeline.ts';
export { runLostDevice, unfinishedLostDevice } from './lost-device.ts';
