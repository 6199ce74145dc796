/** Open model, constant rate: arrival offsets (ms from the stage start), one every 1000/rate ms. */
export function* constantArrivals(ratePerSecond: number, durationMs: number): Generator<number> {
  const interval = 1000 / ratePerSecond;
  for (let k = 0; k * interval < durationMs; k++) yield k * interval;
}
