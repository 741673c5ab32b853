/** `dlq list --sort`: the field name as typed (`status-code` or `status_code`, any case). */
import { SORT_FIELDS, type SortField } from '../entries/fields.js';
import { UsageError } from '../errors.js';

export function parseSortField(text: string): SortField {
  const field = text.trim().toLowerCase().replace(/-/g, '_');
  if (!(SORT_FIELDS as readonly string[]).includes(field)) {
    throw new UsageError(`--sort: '${text}' is not one of ${SORT_FIELDS.join(', ')}`);
  }
  return field as SortField;
}
