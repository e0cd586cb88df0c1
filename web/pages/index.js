// Hand-made pages of the slices, one module each. A module exports:
//   strings  — {"zh-CN": {...}, en: {...}} merged into the app's catalogue (keys prefixed by the slice);
//   routes(kit)  — [[RegExp, async (...groups, params) => void], ...] for the hash router;
//   inbox(kit)   — optional async () => [{rank, due, href, text, cls, badge, badgeCls}] for the home inbox
//                  (rank 0 failed, 1 overdue, 2 pending, 3 draft, 4 due soon, 5 waiting for me);
//   quick(kit)   — optional () => [element, ...] quick links on the home page;
//   nav(kit)     — optional () => [[href, stringKey], ...] entries of the main navigation.
// `kit` is the app's toolbox (see `kit` in app.js): api, el, tr, L, page, card, table, linkButton,
// loading, can, inScope, myUnit, unitCode, me(), route, toast, showError, errorText, opForm, renderValue.
import * as dashboard from "./dashboard.js";
import * as deliberation from "./deliberation.js";
import * as imports from "./imports.js";
import * as mediation from "./mediation.js";
import * as scoring from "./scoring.js";
import * as whistle from "./whistle.js";

export const PAGES = [scoring, mediation, deliberation, whistle, dashboard, imports];
