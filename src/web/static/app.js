// peakplan's pages work without this script; it adds live updates of the day, job progress,
// the agent search, and filling forms from the Gantt. No inline script: the page's CSP forbids it.
"use strict";

const CHANGE_KINDS = ["published", "edited", "acknowledged"];

function filterRows(input) {
  const needle = input.value.trim().toLowerCase();
  document.querySelectorAll(input.dataset.filter).forEach((row) => {
    row.hidden = needle !== "" && !(row.dataset.search || "").includes(needle);
  });
}

// The day page: another supervisor's edit (or a vendor's acknowledgement) arrives on the change
// feed; the live part of the page is fetched again and swapped in, without a reload.
function followLiveDay(live) {
  const source = new EventSource("/app/events");
  let pending = null;
  const refresh = async (event) => {
    const change = JSON.parse(event.data || "{}");
    if (pending) return;
    pending = fetch(window.location.href, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((text) => {
        const next = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        const current = document.getElementById("live");
        if (!next || !current) return;
        current.replaceWith(next);
        const version = next.dataset.version;
        document.querySelectorAll("input[data-live-version]").forEach((i) => { i.value = version; });
        const note = document.getElementById("live-note");
        if (note) {
          note.textContent = ` · updated to version ${version} (${change.kind || "change"} just now)`;
        }
        const search = document.getElementById("search");
        if (search) filterRows(search);
        wireGantt();
      })
      .catch(() => {})
      .finally(() => { pending = null; });
  };
  CHANGE_KINDS.forEach((kind) => source.addEventListener(kind, refresh));
  live.dataset.following = "1";
}

// Clicking a shift fills the agent of the edit forms.
function wireGantt() {
  document.querySelectorAll("#gantt .row[data-agent]").forEach((row) => {
    if (row.dataset.wired) return;
    row.dataset.wired = "1";
    row.tabIndex = 0;
    const pick = () => {
      document.querySelectorAll("[data-agent-field]").forEach((f) => { f.value = row.dataset.agent; });
      document.querySelectorAll("#gantt .row.picked").forEach((r) => r.classList.remove("picked"));
      row.classList.add("picked");
    };
    row.addEventListener("click", pick);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
  });
}

// A job page follows the job's progress until it finishes, then shows its result.
function followJob(job) {
  const source = new EventSource(job.dataset.events);
  const show = (event) => {
    const answer = JSON.parse(event.data);
    document.getElementById("job-progress").textContent = answer.error || answer.progress;
    document.getElementById("job-status").textContent = answer.status;
  };
  source.addEventListener("progress", show);
  source.addEventListener("finished", (event) => {
    show(event);
    source.close();
    window.location.reload();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-filter]").forEach((input) => {
    input.addEventListener("input", () => filterRows(input));
  });
  document.querySelectorAll("input[type=file][data-fill]").forEach((input) => {
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file) return;
      file.text().then((text) => { document.querySelector(input.dataset.fill).value = text; });
    });
  });
  const live = document.getElementById("live");
  if (live) followLiveDay(live);
  wireGantt();
  const job = document.getElementById("job");
  if (job && job.dataset.events) followJob(job);
  document.body.dataset.ready = "1";
});
