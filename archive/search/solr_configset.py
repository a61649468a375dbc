"""The Solr 9 configset of the archive's search index, written from the index definition.

`configset_files()` gives every file of the configset by name: `schema.xml`
has a field for each field of the haystack indexes (archive.search.indexes),
`solrconfig.xml` the handlers the archive uses, and `mapping-archive.txt` the
character mapping made from archive.search.text, so that Solr makes the same
terms of a text as the archive does: quotes, apostrophes and dashes made
plain, case and diacritics folded, possessives dropped, English stemming, no
stop words. The files are kept in the repository (search/solr/configset/,
`manage.py solr_configset` writes them) and a test checks they are what this
module makes now.
"""

import sys
import unicodedata
from pathlib import Path
from xml.sax.saxutils import quoteattr

from django.conf import settings
from haystack import connections
from haystack.constants import DJANGO_CT, DJANGO_ID, ID

from archive.search.text import APOSTROPHES, DASHES, QUOTES, WORD_PATTERN, fold

CONFIGSET_DIR = Path(settings.BASE_DIR) / "search" / "solr" / "configset"
MAPPING_FILE = "mapping-archive.txt"
SPELLING_FIELD = "spell"
# Terms longer than this are dropped: Lucene refuses a term over 32,766 bytes, and such a
# "word" (a pasted hash, a run of letters) is never searched for.
MAX_WORD_LENGTH = 1000
# Korean syllables decompose into their letters under Unicode folding: 11,172 lines that
# would make the mapping file too big for ZooKeeper's comfort, for text the archive does
# not hold. They are left whole, in the index and the query alike.
_LEFT_WHOLE = range(0xAC00, 0xD7A4)

# Unassigned, private-use and surrogate code points.
_NEVER_FOLDED = frozenset({"Cn", "Co", "Cs"})

HEADER = "Written by `manage.py solr_configset` from the archive's search index; do not edit."


def configset_files(using: str = "default") -> dict[str, str]:
    """Each file of the configset, by name, as text."""
    return {
        "schema.xml": schema_xml(using),
        "solrconfig.xml": SOLRCONFIG,
        MAPPING_FILE: character_mapping(),
    }


def write_configset(directory: Path = CONFIGSET_DIR, using: str = "default") -> list[Path]:
    """Write the configset into `directory` (replacing its files); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    files = configset_files(using)
    for stale in directory.iterdir():
        if stale.is_file() and stale.name not in files:
            stale.unlink()
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _field_type(field) -> str:
    """Our Solr field type for a haystack field."""
    if field.field_type in ("date", "datetime"):
        return "pdate"
    if field.field_type == "integer":
        return "plong"
    if field.field_type == "float":
        return "pdouble"
    if field.field_type == "boolean":
        return "boolean"
    if hasattr(field, "facet_for") or not field.indexed:
        return "strings" if field.is_multivalued else "string"  # exact values
    return "text_archive"


def schema_fields(using: str = "default") -> list[dict[str, str]]:
    """The Solr fields of every index's fields, by name (articles and quotes share names)."""
    fields = {}
    for field in connections[using].get_unified_index().all_searchfields().values():
        solr_type = _field_type(field)
        fields[field.index_fieldname] = {
            "name": field.index_fieldname,
            "type": solr_type,
            "indexed": "true" if field.indexed else "false",
            "stored": "true" if field.stored else "false",
            "multiValued": "true" if field.is_multivalued else "false",
        }
    return [fields[name] for name in sorted(fields)]


def content_field_name(using: str = "default") -> str:
    return connections[using].get_unified_index().document_field


def schema_xml(using: str = "default") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- {HEADER} -->",
        '<schema name="archive" version="1.6">',
        f"  <uniqueKey>{ID}</uniqueKey>",
        "",
        "  <!-- haystack's identity of each document: the model and its primary key. -->",
        f'  <field name="{ID}" type="string" indexed="true" stored="true" required="true"/>',
        f'  <field name="{DJANGO_CT}" type="string" indexed="true" stored="true"/>',
        f'  <field name="{DJANGO_ID}" type="string" indexed="true" stored="true"/>',
        '  <field name="_version_" type="plong" indexed="false" stored="false"/>',
        "",
        "  <!-- The fields of the archive's indexes (archive.search.indexes). -->",
    ]
    for field in schema_fields(using):
        attributes = " ".join(f"{key}={quoteattr(value)}" for key, value in field.items())
        lines.append(f"  <field {attributes}/>")
    content = content_field_name(using)
    lines += [
        "",
        "  <!-- The words of the text, unstemmed, for spelling suggestions. -->",
        f'  <field name="{SPELLING_FIELD}" type="text_archive_words" indexed="true"'
        ' stored="false" multiValued="true"/>',
        f'  <copyField source="{content}" dest="{SPELLING_FIELD}"/>',
        "",
        "  <!-- Text as archive.search.text makes terms of it: punctuation made plain and",
        f"       case and diacritics folded ({MAPPING_FILE}), words as its WORD pattern finds",
        "       them, possessives and inner apostrophes dropped, English (Snowball) stems,",
        "       no stop words. -->",
        *_text_type("text_archive", stemmed=True),
        *_text_type("text_archive_words", stemmed=False),
        "",
        '  <fieldType name="string" class="solr.StrField" sortMissingLast="true"'
        ' docValues="true"/>',
        '  <fieldType name="strings" class="solr.StrField" sortMissingLast="true"'
        ' docValues="true" multiValued="true"/>',
        '  <fieldType name="boolean" class="solr.BoolField" sortMissingLast="true"/>',
        '  <fieldType name="plong" class="solr.LongPointField" docValues="true"/>',
        '  <fieldType name="pdouble" class="solr.DoublePointField" docValues="true"/>',
        '  <fieldType name="pdate" class="solr.DatePointField" docValues="true"/>',
        "</schema>",
        "",
    ]
    return "\n".join(lines)


def _text_type(name: str, stemmed: bool) -> list[str]:
    # text.py's WORD; (?U): \w as Python's re module reads it (Unicode letters and digits,
    # the underscore).
    word = quoteattr(f"(?U){WORD_PATTERN}")
    lines = [
        f'  <fieldType name="{name}" class="solr.TextField" positionIncrementGap="100">',
        "    <analyzer>",
        f'      <charFilter class="solr.MappingCharFilterFactory" mapping="{MAPPING_FILE}"/>',
        f'      <tokenizer class="solr.PatternTokenizerFactory" pattern={word} group="0"/>',
        '      <filter class="solr.LowerCaseFilterFactory"/>',
        '      <filter class="solr.PatternReplaceFilterFactory" pattern="\'s$" replacement=""'
        ' replace="first"/>',
        '      <filter class="solr.PatternReplaceFilterFactory" pattern="\'" replacement=""'
        ' replace="all"/>',
        f'      <filter class="solr.LengthFilterFactory" min="1" max="{MAX_WORD_LENGTH}"/>',
    ]
    if stemmed:
        lines.append('      <filter class="solr.SnowballPorterFilterFactory" language="English"/>')
    return [*lines, "    </analyzer>", "  </fieldType>"]


def character_mapping() -> str:
    """MappingCharFilter rules: quotes, apostrophes and dashes made plain (text.py's tables),
    then every character that `fold()` changes otherwise than by lower-casing (which Solr's
    LowerCaseFilter does after the words are found)."""
    rules = {}
    for characters, plain in ((QUOTES, '"'), (APOSTROPHES, "'"), (DASHES, "-")):
        rules.update(dict.fromkeys(characters, plain))
    fold_one = fold.__wrapped__  # not through fold's cache, which a million characters would fill
    for code in range(0x80, sys.maxunicode + 1):
        character = chr(code)
        if character in rules or code in _LEFT_WHOLE:
            continue
        if unicodedata.category(character) in _NEVER_FOLDED:
            continue
        folded = fold_one(character)
        if folded != character.lower():
            rules[character] = folded
    lines = [
        f"# {HEADER}",
        "# Made from archive.search.text: its quotes, apostrophes and dashes, and fold().",
    ]
    lines += [f'"{_escape(source)}" => "{_escape(rules[source])}"' for source in sorted(rules)]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """The mapping file's string syntax: ASCII as is (\\ and " escaped), the rest as \\uXXXX
    (UTF-16, as Java holds text)."""
    escaped = []
    for character in text:
        if character in '\\"':
            escaped.append("\\" + character)
        elif " " <= character <= "~":
            escaped.append(character)
        else:
            data = character.encode("utf-16-be")
            escaped += [f"\\u{data[i : i + 2].hex().upper()}" for i in range(0, len(data), 2)]
    return "".join(escaped)


SOLRCONFIG = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- {HEADER} -->
<!-- Solr 9: what the archive asks of Solr and nothing else (no Trie fields, no removed
     caches or response writers, no module that a plain Solr does not load). -->
<config>
  <luceneMatchVersion>9.12</luceneMatchVersion>
  <dataDir>${{solr.data.dir:}}</dataDir>
  <directoryFactory name="DirectoryFactory"
                    class="${{solr.directoryFactory:solr.NRTCachingDirectoryFactory}}"/>
  <codecFactory class="solr.SchemaCodecFactory"/>
  <!-- The schema is written from the archive's index definition: not changed through Solr. -->
  <schemaFactory class="ClassicIndexSchemaFactory"/>

  <indexConfig>
    <lockType>${{solr.lock.type:native}}</lockType>
  </indexConfig>

  <!-- The archive commits after each batch it writes (haystack's commit=true); the
       automatic hard commit bounds the transaction log between them. -->
  <updateHandler class="solr.DirectUpdateHandler2">
    <updateLog>
      <str name="dir">${{solr.ulog.dir:}}</str>
    </updateLog>
    <autoCommit>
      <maxTime>${{solr.autoCommit.maxTime:15000}}</maxTime>
      <openSearcher>false</openSearcher>
    </autoCommit>
    <autoSoftCommit>
      <maxTime>${{solr.autoSoftCommit.maxTime:-1}}</maxTime>
    </autoSoftCommit>
  </updateHandler>

  <query>
    <maxBooleanClauses>${{solr.max.booleanClauses:1024}}</maxBooleanClauses>
    <filterCache class="solr.CaffeineCache" size="512" initialSize="512" autowarmCount="0"/>
    <queryResultCache class="solr.CaffeineCache" size="512" initialSize="512"
                      autowarmCount="0"/>
    <documentCache class="solr.CaffeineCache" size="512" initialSize="512"
                   autowarmCount="0"/>
    <enableLazyFieldLoading>true</enableLazyFieldLoading>
    <queryResultWindowSize>20</queryResultWindowSize>
    <queryResultMaxDocsCached>200</queryResultMaxDocsCached>
    <useColdSearcher>false</useColdSearcher>
  </query>

  <!-- Scores from the whole collection's word counts, not each shard's: the same
       document ranks the same wherever it was placed. -->
  <statsCache class="org.apache.solr.search.stats.ExactStatsCache"/>

  <requestDispatcher>
    <httpCaching never304="true"/>
  </requestDispatcher>

  <requestHandler name="/select" class="solr.SearchHandler">
    <lst name="defaults">
      <str name="echoParams">explicit</str>
      <int name="rows">10</int>
      <str name="df">text</str>
      <!-- Facets as the archive shows them: every value the results have, none they do
           not; the year facet counts the undated too. -->
      <int name="facet.mincount">1</int>
      <int name="facet.limit">-1</int>
      <bool name="f.year.facet.missing">true</bool>
      <str name="spellcheck.dictionary">default</str>
      <int name="spellcheck.count">1</int>
    </lst>
    <arr name="last-components">
      <str>spellcheck</str>
    </arr>
  </requestHandler>

  <!-- How many documents hold each of a list of words, summed over the shards: the
       archive's more-like-this chooses a document's telling words by them
       (archive.search.solr_backend). -->
  <searchComponent name="terms" class="solr.TermsComponent"/>
  <requestHandler name="/terms" class="solr.SearchHandler">
    <lst name="defaults">
      <bool name="terms">true</bool>
      <bool name="distrib">true</bool>
    </lst>
    <arr name="components">
      <str>terms</str>
    </arr>
  </requestHandler>

  <!-- Did-you-mean: a word found nowhere in the index is offered the nearest indexed word
       (two edits at most, the same first letter), as the archive does on Whoosh. -->
  <searchComponent name="spellcheck" class="solr.SpellCheckComponent">
    <str name="queryAnalyzerFieldType">text_archive_words</str>
    <lst name="spellchecker">
      <str name="name">default</str>
      <str name="field">{SPELLING_FIELD}</str>
      <str name="classname">solr.DirectSolrSpellChecker</str>
      <str name="distanceMeasure">internal</str>
      <float name="accuracy">0.5</float>
      <int name="maxEdits">2</int>
      <int name="minPrefix">1</int>
      <int name="maxInspections">5</int>
      <int name="minQueryLength">3</int>
    </lst>
  </searchComponent>
</config>
"""
