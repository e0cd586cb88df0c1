// The import page's pure parts under node (no browser): the content type a file is uploaded with, the file
// input's accept list, which kinds a user is offered, and what an answer means.
import assert from "node:assert/strict";
import { test } from "node:test";

import { acceptFor, contentType, importUrl, kindsFor, outcome, XLSX } from "../pages/imports.js";

test("the content type comes from the file's name, whatever the browser labels it", () => {
  assert.equal(contentType("鹊山村网格.xlsx", "grid"), XLSX);
  assert.equal(contentType("住户.XLSX", "households"), XLSX);
  assert.equal(contentType("households.csv", "households"), "text/csv"); // Windows with Excel says application/vnd.ms-excel
  assert.equal(contentType("grid.zip", "grid"), "application/zip");
  assert.equal(contentType("grid.zip", "units"), null); // only a grid workbook comes as a ZIP
  assert.equal(contentType("old.xls", "units"), null); // the old binary format is not read
  assert.equal(contentType("noextension", "units"), null);
  assert.equal(contentType("a.xlsx.txt", "units"), null);
});

test("the file input accepts .zip only for a grid workbook", () => {
  assert.equal(acceptFor("grid"), ".xlsx,.csv,.zip");
  assert.equal(acceptFor("members"), ".xlsx,.csv");
});

test("the party roster is offered only with members:write", () => {
  assert.deepEqual(kindsFor(() => false), ["grid", "units", "households", "appointments"]);
  assert.deepEqual(kindsFor((p) => p === "members:write"), ["grid", "units", "households", "appointments", "members"]);
});

test("the upload URL and what an answer means", () => {
  assert.equal(importUrl("grid", "validate_only"), "/v1/imports?kind=grid&mode=validate_only");
  assert.equal(outcome(201, false, { status: "done", mode: "all_or_nothing" }), "written");
  assert.equal(outcome(200, true, { status: "done", mode: "all_or_nothing", replayed: true }), "replayed");
  assert.equal(outcome(200, false, { status: "done", mode: "validate_only" }), "validated");
  assert.equal(outcome(202, false, { status: "queued", mode: "all_or_nothing" }), "queued");
});
