/**
 * Open model, linear ramp from one rate to another: arrival offsets (ms from the stage start).
 * With r(t) = from + (to − from)·t/D, the requests due by t are N(t) = from·t + (to − from)·t²/2D,
 * and the k-th arrival is the root of N(t) = k. Exact for any ramp, so the schedule carries
 * no drift from summing intervals.
 */
export function* rampingArrivals(fromPerSecond: number, toPerSecond: number, durationMs: number): Generator<number> {
  const seconds = durationMs / 1000;
  const a = (toPerSecond - fromPerSecond) / (2 * seconds);
  const b = fromPerSecond;
  for (let k = 0; ; k++) {
    // Past the last arrival of a ramp down, the discriminant turns negative and t is NaN.
    const t = a === 0 ? k / b : (-b + Math.sqrt(b * b + 4 * a * k)) / (2 * a);
    if (!(t * 1000 < durationMs)) return;
    yield t * 1000;
  }
}
