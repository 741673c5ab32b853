/** Times as people read them in a table: local time, to the second, sortable as text. */

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` in the machine's local time zone. */
export function formatLocalDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** `YYYY-MM-DD HH:MM:SS` in the machine's local time zone. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${formatLocalDay(ms)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
