/** Small pieces every page uses: headings that take focus, phase badges, times, alerts. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { hasNavigated } from '../router.js';

/**
 * The page's h1: it takes the focus when another page opens, so that a keyboard or screen
 * reader user lands on the new page instead of the link they left (not on the first load,
 * where the focus starts at the top, with the skip link), and it names the document.
 */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} - KubeOpenCode`;
    if (hasNavigated()) ref.current?.focus();
  }, [title]);
  return <h1 tabIndex={-1} ref={ref}>{children}</h1>;
}

export function PhaseBadge({ phase }: { phase: string }) {
  return <span class={`phase phase-${phase.toLowerCase()}`}>{phase}</span>;
}

/** Re-renders every `ms` so relative times stay true. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function ago(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function duration(from: string | undefined, to: string | undefined, now: number): string {
  if (!from) return '';
  const s = Math.max(0, Math.round(((to ? Date.parse(to) : now) - Date.parse(from)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A time as "5m ago", with the exact time for hover and for assistive technology. */
export function Time({ iso, now }: { iso?: string; now: number }) {
  if (!iso) return <span class="muted">-</span>;
  const exact = new Date(iso).toLocaleString();
  return <time dateTime={iso} title={exact} aria-label={exact}>{ago(iso, now)}</time>;
}

export function ExactTime({ iso }: { iso?: string }) {
  if (!iso) return <span class="muted">-</span>;
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}

/** An error the user must see (read out at once). */
export function Alert({ message, onDismiss }: { message?: string; onDismiss?: () => void }) {
  if (!message) return null;
  return (
    <div class="alert" role="alert">
      <span>{message}</span>
      {onDismiss && <button type="button" class="link" onClick={onDismiss}>Dismiss</button>}
    </div>
  );
}

/** A polite status line, read out when it changes. */
export function Status({ message }: { message?: string }) {
  return <p class="status" role="status">{message ?? ''}</p>;
}
