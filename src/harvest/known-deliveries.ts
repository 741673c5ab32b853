/**
 * The incremental harvest's stop test (issue #11): a delivery is "known" when an earlier harvest
 * recorded it (it is in the store, or was pruned from it on purpose) AND it is no newer than the
 * watermark of the last complete harvest of its source (the newest failure that harvest saw).
 * Everything that old was recorded by that harvest, so a page made only of known deliveries has
 * nothing new below it. (A failure arriving later with the very same timestamp is not recorded,
 * so it is not known either.)
 * Recorded alone is not enough (a capped run records the newest only), nor is older alone (an
 * entry deleted by hand from the file would never come back).
 */
import type { HistoryItem } from '../genesys/client.js';
import type { Watermark } from '../store/harvest-state.js';
import { deliveryIdOf } from './harvest-history.js';

export function knownBelowWatermark(mark: Watermark, recorded: ReadonlySet<string>): (item: HistoryItem) => boolean {
  const limit = Date.parse(mark.newest);
  return (item) => {
    if (typeof item.timestamp !== 'string' || !(Date.parse(item.timestamp) <= limit)) return false;
    return recorded.has(deliveryIdOf(item));
  };
}
