// Days and months as 宁乡 counts them: the calendar in Beijing time (Asia/Shanghai, UTC+8, no summer time),
// whatever time zone the browser keeps. Every default date or month of a page comes from here, never from
// `toISOString()` (UTC: from 00:00 to 08:00 Beijing time it names the day, and on the 1st the month, before).
const BEIJING = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

/** The Beijing calendar day of `at` (a Date or epoch milliseconds; now by default), "YYYY-MM-DD". */
export function beijingDay(at = Date.now()) {
  const p = Object.fromEntries(BEIJING.formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** The Beijing calendar month of `at`, "YYYY-MM". */
export const beijingMonth = (at = Date.now()) => beijingDay(at).slice(0, 7);

/** The Beijing calendar year of `at`, a number. */
export const beijingYear = (at = Date.now()) => Number(beijingDay(at).slice(0, 4));

/** The day `n` days after `day` ("YYYY-MM-DD"; n may be negative). */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The month `n` months after `month` ("YYYY-MM"; n may be negative). */
export function addMonths(month, n) {
  const [y, m] = month.split("-").map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
}
