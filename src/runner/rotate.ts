/**
 * Targets fired "at the same moment" still start one after the other within a tick, and the
 * later ones pay for the earlier ones' dispatch. Rotating the order on every arrival or round
 * counterbalances that, so no target is systematically second.
 */
export function rotated<T>(items: readonly T[], turn: number): T[] {
  const shift = items.length ? turn % items.length : 0;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
