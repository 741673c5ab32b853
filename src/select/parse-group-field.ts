/** `dlq list --group-by`: the field name as typed (`status-code` or `status_code`, any case). */
import { GROUP_FIELDS, type GroupField } from '../entries/fields.js';
import { UsageError } from '../errors.js';

export function parseGroupField(text: string): GroupField {
  const field = text.trim().toLowerCase().replace(/-/g, '_');
  if (!(GROUP_FIELDS as readonly string[]).includes(field)) {
    throw new UsageError(`--group-by: '${text}' is not one of ${GROUP_FIELDS.join(', ')}`);
  }
  return field as GroupField;
}
