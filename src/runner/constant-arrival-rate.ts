/** Open model, constant rate: arrival offsets (ms from the stage start), one every 1000/rate ms. */
export function* constantArrivals(ratePerSecond: number, durationMs: number): Generator<number> {
  // k·1000 < duration·rate rather than k·interval < duration: no rounding decides the count.
  for (let k = 0; k * 1000 < durationMs * ratePerSecond; k++) yield (k * 1000) / ratePerSecond;
}
