// Picking a code from the search results fills the ICD-10 field of the form on the page,
// instead of reloading the page (which is what the link does without JavaScript).
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("a[data-code]") : null;
  var field = document.getElementById("id_icd10_code");
  if (!link || !field) {
    return;
  }
  event.preventDefault();
  field.value = link.getAttribute("data-code");
  field.focus();
});
