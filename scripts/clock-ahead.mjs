// A clock moved ahead, for proving that tests do not depend on the calendar (docs/testing.md):
//
//   HAFEN_CLOCK_AHEAD_DAYS=200 NODE_OPTIONS="--import $PWD/scripts/clock-ahead.mjs" npm test
//
// Loaded before anything else, it moves what JavaScript reads as "now" — Date.now() and
// `new Date()` without arguments — by that many days, in this process and (NODE_OPTIONS is
// inherited) in every Node process it starts. Dates built from arguments, timers and
// performance.now() are untouched, so timeouts keep their real length. `Date` stays the same
// constructor (a proxy of it): every Date, also one made inside Node, is still `instanceof Date`.
const days = Number(process.env.HAFEN_CLOCK_AHEAD_DAYS ?? '0');
if (!Number.isFinite(days)) throw new Error(`HAFEN_CLOCK_AHEAD_DAYS must be a number of days, not "${process.env.HAFEN_CLOCK_AHEAD_DAYS}"`);
const offset = Math.round(days * 86_400_000);
if (offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  RealDate.now = () => realNow() + offset;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [realNow() + offset] : args, newTarget),
    // Date() called as a function returns the time as a string.
    apply: () => new RealDate(realNow() + offset).toString(),
  });
}
