// Small progressive enhancements; every page works without them.
document.querySelectorAll('.js-autosubmit').forEach(function (el) {
  el.addEventListener('change', function () { el.form.submit(); });
});
// Show / hide a password field (account page).
document.querySelectorAll('.js-show-password').forEach(function (button) {
  button.addEventListener('click', function () {
    var field = document.getElementById(button.dataset.target);
    field.type = field.type === 'password' ? 'text' : 'password';
  });
});
// The description and price of the item chosen in a list (renew page).
document.querySelectorAll('.js-describe').forEach(function (select) {
  var out = document.getElementById('description');
  function show() {
    var option = select.options[select.selectedIndex];
    out.textContent = option ? (option.dataset.description || '') : '';
  }
  select.addEventListener('change', show);
  show();
});
