// Upload page: one request per file so each file shows its own progress
// (XMLHttpRequest upload events), then the document's processing status,
// polled with htmx until it is ready or failed. Without this script the form
// still posts every file at once.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = document.getElementById("u-files");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("uploads");
  var heading = document.getElementById("progress-heading");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text; // never innerHTML: file names are user input
    return node;
  }

  function showError(row, message) {
    var bar = row.querySelector(".transfer");
    if (bar) bar.remove();
    var error = element("p", "error", "Not uploaded: " + message);
    error.setAttribute("role", "alert");
    row.appendChild(error);
  }

  function showStatus(row, result) {
    var status = element("div", "processing", "Uploaded — waiting for processing…");
    status.setAttribute("hx-get", result.status_url);
    status.setAttribute("hx-trigger", "load");
    status.setAttribute("hx-swap", "outerHTML");
    row.appendChild(status);
    if (result.duplicate_of) {
      var note = element("p", "meta", "The same file was uploaded before: ");
      var link = element("a", "", "see the earlier document");
      link.href = result.duplicate_of;
      note.appendChild(link);
      row.appendChild(note);
    }
    if (window.htmx) window.htmx.process(status);
  }

  function uploadOne(file) {
    heading.hidden = false;
    var row = element("li", "upload");
    row.appendChild(element("span", "filename", file.name));
    var transfer = element("div", "transfer");
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var percent = element("span", "percent", "0%");
    transfer.appendChild(bar);
    transfer.appendChild(percent);
    row.appendChild(transfer);
    list.appendChild(row);

    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("collection", form.querySelector("[name=collection]").value);
    var tags = form.querySelector("[name=tags]");
    if (tags) {
      Array.prototype.forEach.call(tags.selectedOptions, function (option) {
        data.append("tags", option.value);
      });
    }
    data.append("files", file, file.name);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var value = Math.round((event.loaded / event.total) * 100);
      bar.value = value;
      percent.textContent = value + "%";
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (!body) {
        if (xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
          showError(row, "you have been signed out. Sign in again, then upload the file again.");
        } else if (xhr.status === 403) {
          showError(row, "this page has expired. Reload it and upload the file again.");
        } else {
          showError(row, "the server answered " + xhr.status + ". Please try again.");
        }
        return;
      }
      var result = body.results && body.results[0];
      if (result && result.ok) {
        showStatus(row, result);
      } else {
        showError(row, (result && result.error) || body.error || "unknown error");
      }
    });
    xhr.addEventListener("error", function () {
      showError(row, "the connection was interrupted. Please try again.");
    });
    xhr.send(data);
  }

  function uploadAll(files) {
    Array.prototype.forEach.call(files, uploadOne);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.files.length) {
      input.focus();
      return;
    }
    uploadAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) uploadAll(event.dataTransfer.files);
  });
  // Dropping works from here on (scripts run after the page is shown).
  zone.setAttribute("data-ready", "");
})();
