// Document upload queue: pick files, see name / size / progress, images are
// compressed in the browser (browser-image-compression) before being sent
// one by one; the server checks each file again and has the last word.
(function () {
  'use strict';
  var root = document.getElementById('upload');
  if (!root) { return; }
  var msg = root.dataset;
  var input = document.getElementById('files');
  var typeSelect = document.getElementById('doc-type');
  var tbody = document.querySelector('#queue tbody');
  var send = document.getElementById('send');
  var queue = [];

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MB'
      : Math.max(1, Math.round(bytes / 1024)) + ' KB';
  }

  function refresh() {
    send.disabled = !queue.some(function (item) { return item.state === 'waiting'; });
  }

  function add(file) {
    var item = {file: file, state: 'waiting', type: typeSelect.value};
    var row = document.createElement('tr');
    var name = document.createElement('td'); name.dir = 'ltr'; name.textContent = file.name;
    var kind = document.createElement('td');
    var select = typeSelect.cloneNode(true); select.removeAttribute('id');
    select.value = item.type; select.className = 'form-select form-select-sm';
    select.addEventListener('change', function () { item.type = select.value; });
    kind.appendChild(select);
    var status = document.createElement('td');
    var bar = document.createElement('div'); bar.className = 'progress';
    var fill = document.createElement('div'); fill.className = 'progress-bar'; fill.style.width = '0%';
    fill.textContent = '0%'; bar.appendChild(fill);
    var note = document.createElement('div'); note.className = 'small'; note.textContent = msg.msgWaiting;
    status.appendChild(bar); status.appendChild(note);
    var sizeCell = document.createElement('td'); sizeCell.dir = 'ltr'; sizeCell.textContent = size(file.size);
    var actions = document.createElement('td');
    var remove = document.createElement('button'); remove.type = 'button';
    remove.className = 'btn btn-sm btn-outline-danger'; remove.textContent = msg.msgRemove;
    remove.addEventListener('click', function () {
      queue.splice(queue.indexOf(item), 1); row.remove(); refresh();
    });
    actions.appendChild(remove);
    [name, kind, status, sizeCell, actions].forEach(function (c) { row.appendChild(c); });
    tbody.appendChild(row);
    item.row = row; item.fill = fill; item.note = note; item.sizeCell = sizeCell;
    item.select = select; item.remove = remove;
    queue.push(item);
  }

  function progress(item, percent) {
    item.fill.style.width = percent + '%'; item.fill.textContent = percent + '%';
  }

  function finish(item, ok, text) {
    item.state = ok ? 'sent' : 'failed';
    item.fill.classList.add(ok ? 'bg-success' : 'bg-danger');
    if (!ok) { progress(item, 100); }
    item.note.textContent = text || (ok ? msg.msgSent : msg.msgFailed);
    item.row.classList.add(ok ? 'table-success' : 'table-danger');
    item.row.dataset.state = item.state;
  }

  function compress(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || typeof imageCompression !== 'function') {
      return Promise.resolve(file);
    }
    return imageCompression(file, {maxSizeMB: 1, maxWidthOrHeight: 2000, useWebWorker: false})
      .then(function (small) {
        return small.size < file.size ? new File([small], file.name, {type: small.type}) : file;
      })
      .catch(function () { return file; });
  }

  function upload(item) {
    if (!item.type) { finish(item, false, msg.msgNotype); return Promise.resolve(); }
    item.state = 'sending'; item.select.disabled = true; item.remove.disabled = true;
    item.note.textContent = msg.msgCompressing;
    return compress(item.file).then(function (file) {
      item.sizeCell.textContent = size(file.size);
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append('file', file, file.name);
        data.append('type', item.type);
        var xhr = new XMLHttpRequest();
        xhr.open('POST', root.dataset.url);
        xhr.setRequestHeader('X-CSRF-Token', root.dataset.csrf);
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.upload.onprogress = function (e) {
          if (e.lengthComputable) { progress(item, Math.round(e.loaded * 100 / e.total)); }
        };
        xhr.onload = function () {
          var answer = {};
          try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
          if (xhr.status === 200 && answer.ok) { progress(item, 100); }
          finish(item, xhr.status === 200 && answer.ok, answer.message);
          resolve();
        };
        xhr.onerror = function () { finish(item, false, msg.msgNetwork); resolve(); };
        xhr.send(data);
      });
    });
  }

  input.addEventListener('change', function () {
    Array.prototype.forEach.call(input.files, add);
    input.value = '';
    refresh();
  });

  send.addEventListener('click', function () {
    send.disabled = true;
    var waiting = queue.filter(function (item) { return item.state === 'waiting'; });
    waiting.reduce(function (chain, item) {
      return chain.then(function () { return upload(item); });
    }, Promise.resolve()).then(function () {
      refresh();
      if (waiting.some(function (item) { return item.state === 'sent'; })) {
        root.dispatchEvent(new CustomEvent('uploaded'));
        setTimeout(function () { window.location.reload(); }, 1500);
      }
    });
  });
}());
