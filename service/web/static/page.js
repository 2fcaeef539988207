// Progressive only: the page works without this. It adds copy buttons and asks without a
// full reload, keeping the address bar's deep link to the question.
(function () {
  "use strict";
  function wireCopy(root) {
    root.querySelectorAll(".copy-button").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = document.getElementById(button.dataset.copy).innerText;
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
      });
    });
  }
  wireCopy(document);
  var form = document.getElementById("question");  // the one-question form; the others post
  if (!form) return;
  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.DOMParser) return;
    event.preventDefault();
    var params = new URLSearchParams(new FormData(form));
    var url = form.getAttribute("action") + "?" + params.toString();
    fetch(url, { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var answer = document.getElementById("answer");
        answer.replaceWith(next.getElementById("answer"));
        answer = document.getElementById("answer");
        answer.dataset.via = "fetch";
        document.title = next.title;
        history.pushState(null, "", url);
        wireCopy(answer);
        answer.focus();
      })
      .catch(function () { form.submit(); });
  });
  window.addEventListener("popstate", function () { location.reload(); });
})();
