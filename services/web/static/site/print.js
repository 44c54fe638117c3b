/* Shows the "Print" buttons ([data-print]) and makes them print the page.
   Without JavaScript the buttons stay hidden: the browser's own print works. */
(function () {
  "use strict";
  if (!window.print) return;
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
