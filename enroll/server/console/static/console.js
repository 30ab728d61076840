// glpi-enrolld console: copy buttons and the live progress of a request.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = document.getElementById(b.dataset.copy);
      var status = document.querySelector("[data-role=copied]");
      var done = function () { b.textContent = "Copied"; if (status) status.textContent = "Copied to the clipboard."; };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
  document.querySelectorAll(".request[data-follow]").forEach(follow);
});

function follow(box) {
  var id = box.dataset.action;
  var state = box.querySelector("[data-role=state]");
  var steps = box.querySelector("[data-role=steps]");
  var tick = function () {
    fetch("/ui/actions/" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (a) {
        state.textContent = a.state;
        state.className = "badge act-" + a.state;
        steps.textContent = "";
        (a.steps || []).forEach(function (s) {
          var li = document.createElement("li");
          li.className = "step-" + s.state;
          var t = document.createElement("span");
          t.className = "t";
          t.textContent = "+" + s.after.toFixed(1) + " s";
          li.appendChild(t);
          li.appendChild(document.createTextNode(" " + s.text));
          steps.appendChild(li);
        });
        if (!a.done) setTimeout(tick, 500);
      })
      .catch(function () { setTimeout(tick, 2000); });
  };
  tick();
}
