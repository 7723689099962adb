// The Driver Manager page: live updates from the app (server-sent events, /events) and buttons
// that post without leaving the page. Without this script the page still works: the forms post
// and the app sends the page back.
'use strict';

(function () {
  const token = document.querySelector('meta[name="driver-manager-token"]').content;
  const byId = (id) => document.getElementById(id);

  function setHidden(element, hidden) {
    if (hidden) element.setAttribute('hidden', '');
    else element.removeAttribute('hidden');
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function render(snapshot) {
    byId('status').dataset.state = snapshot.state;
    setText(byId('state-label'), snapshot.label);
    setText(byId('status-text'), snapshot.text);
    setText(byId('error'), snapshot.error);
    setHidden(byId('error'), snapshot.error === '');
    setText(byId('notice'), snapshot.unreachable !== '' ? snapshot.unreachable : snapshot.notice);

    const question = snapshot.replacement;
    setHidden(byId('replacement'), question === null);
    if (question !== null) {
      setText(byId('installed-version'), question.installed);
      setText(byId('offered-version'), question.offered);
    }

    const list = byId('interfaces');
    const items = snapshot.interfaces.map((i) => {
      const item = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = i.name;
      item.append(name, ' — link ' + (i.carrier ? 'active' : 'inactive') + ', MTU ' + i.mtu);
      return item;
    });
    list.replaceChildren(...items);
    setHidden(byId('interfaces-section'), items.length === 0);

    byId('install').disabled = !snapshot.canInstall;
    byId('deactivate').disabled = !snapshot.canDeactivate;
  }

  for (const form of document.querySelectorAll('form[method="post"]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const body = new URLSearchParams(new FormData(form, event.submitter));
      // getAttribute: form.action would be the buttons named "action" in the replacement form.
      fetch(form.getAttribute('action'), {
        method: 'POST',
        headers: { 'X-Driver-Manager-Token': token },
        body: body,
      }).catch(() => setText(byId('connection'), 'The app did not answer; is it still running?'));
    });
  }

  const events = new EventSource('/events');
  events.addEventListener('message', (event) => render(JSON.parse(event.data)));
  events.addEventListener('open', () => setText(byId('connection'), ''));
  events.addEventListener('error', () =>
    setText(byId('connection'), 'Live updates stopped; trying to reconnect to the app…'));
})();
