import { css } from 'lit';

/** Shared look of controls; colours come from the custom properties in global.css. */
export const shared = css`
  :host { color: var(--mh-fg); }
  *, *::before, *::after { box-sizing: border-box; }
  h1, h2, h3 { margin: 0 0 0.75rem; line-height: 1.2; }
  h1 { font-size: 1.4rem; }
  h2 { font-size: 1.2rem; }
  p { margin: 0 0 0.75rem; line-height: 1.45; }
  label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
  input[type='text'], input[type='password'], input[type='file'], textarea {
    width: 100%; font: inherit; padding: 0.6rem 0.7rem; border-radius: 0.5rem;
    border: 1px solid var(--mh-border); background: var(--mh-surface); color: var(--mh-fg);
  }
  textarea { resize: vertical; min-height: 2.75rem; }
  button, a.button {
    font: inherit; font-weight: 600; padding: 0.6rem 1rem; border-radius: 0.5rem; cursor: pointer;
    border: 1px solid var(--mh-accent); background: var(--mh-accent); color: var(--mh-on-accent);
    min-height: 2.75rem; text-decoration: none; display: inline-flex; align-items: center; justify-content: center; gap: 0.4rem;
  }
  button.secondary, a.button.secondary { background: transparent; color: var(--mh-accent-text); }
  button.danger { background: var(--mh-danger); border-color: var(--mh-danger); color: #fff; }
  button.link { background: none; border: none; color: var(--mh-accent-text); padding: 0.25rem; min-height: auto; text-decoration: underline; }
  button:disabled { opacity: 0.55; cursor: not-allowed; }
  :focus-visible { outline: 3px solid var(--mh-focus); outline-offset: 2px; }
  .error { color: var(--mh-danger-text); font-weight: 600; }
  .muted { color: var(--mh-muted); }
  .notice { border: 1px solid var(--mh-warn-border); background: var(--mh-warn-bg); border-radius: 0.5rem; padding: 0.75rem; margin: 0.5rem 0; }
  .row { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
  /* A field and its button on one line (start a conversation, add a member, your name). */
  form .row input { flex: 1; min-width: 8rem; }
  .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
  progress { width: 100%; height: 1rem; }
`;
