// The page of an article's tags: words selected in a sentence fill the "words" field of the
// form that tags an entity, so an editor tags a name by selecting it in the text.
document.addEventListener("DOMContentLoaded", () => {
  const words = document.getElementById("id_words");
  if (!words) return;
  document.addEventListener("selectionchange", () => {
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || !selection.anchorNode) return;
    const sentence = selection.anchorNode.parentElement?.closest(".sentence");
    const chosen = selection.toString().replace(/\s+/g, " ").trim();
    if (sentence && chosen) words.value = chosen;
  });
});
