// Progressive enhancement: "Copy citation" buttons. Without JavaScript the
// citation text is still there to select and copy by hand.

// A reader who reached a paragraph by its link (#p-7) cites that paragraph: the
// article's citation, its archived address with the paragraph's anchor. What is
// shown is what is copied.
function citeTheParagraphReached() {
  var citation = document.getElementById("citation");
  if (!citation || !citation.dataset.permalink) return;
  if (citation.dataset.articleCitation === undefined) {
    citation.dataset.articleCitation = citation.textContent.trim();
  }
  var archived = "Archived copy: " + citation.dataset.permalink;
  var text = citation.dataset.articleCitation;
  var scope = document.getElementById("citation-scope");
  var match = /^#p-(\d+)$/.exec(window.location.hash);
  if (match && document.getElementById("p-" + match[1]) && text.indexOf(archived) !== -1) {
    citation.textContent = text.replace(archived, archived + match[0]);
    if (scope) scope.textContent = "\u00b6" + match[1] + " of this article";
  } else {
    citation.textContent = text;
    if (scope) scope.textContent = "this article";
  }
}

document.addEventListener("DOMContentLoaded", function () {
  citeTheParagraphReached();
  window.addEventListener("hashchange", citeTheParagraphReached);
  if (!navigator.clipboard) return;
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy citation"; }, 2000);
      });
    });
  });
});
