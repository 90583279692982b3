/**
 * The live log of one container of the Task's Pod: pick the container, follow or not. The
 * text streams in on the Task page's own stream; when there is no log to read yet, the API
 * server's own reason is shown (a container waiting to start, a Pod without a node).
 */
import { useEffect, useRef } from 'preact/hooks';
import type { PodView } from '../../shared/types.js';

export interface LogState {
  readonly container: string;
  readonly follow: boolean;
  readonly text: string;
  readonly status: string;
}

export const MAX_LOG_CHARS = 2_000_000;

interface Props {
  readonly pod?: PodView | null;
  readonly log: LogState;
  readonly onChange: (choice: { container: string; follow: boolean }) => void;
}

export function LogPane({ pod, log, onChange }: Props) {
  const containers = pod?.containers.map((c) => c.name) ?? [];
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = pre.current;
    if (el && log.follow) el.scrollTop = el.scrollHeight;
  }, [log.text, log.follow]);
  return (
    <section aria-labelledby="h-logs"><h2 id="h-logs">Logs</h2>
      <div class="log-controls">
        <label for="log-container">Container</label>
        <select id="log-container" value={log.container} onChange={(e) => onChange({ container: e.currentTarget.value, follow: log.follow })}>
          {(containers.length ? containers : [log.container]).map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
        <label><input type="checkbox" checked={log.follow} onChange={(e) => onChange({ container: log.container, follow: e.currentTarget.checked })} /> Follow</label>
      </div>
      <p class="status" role="status" id="log-status">{pod === null ? 'No Pod to read a log from.' : log.status}</p>
      <pre class="log" ref={pre} tabIndex={0} role="log" aria-live="off" aria-label={`Log of container ${log.container}`} aria-describedby="log-status">{log.text}</pre>
    </section>
  );
}
