"""The Solr configset kept in the repository is the one the archive's index definition makes,
and asks only for what a plain Solr 9 has."""

import re

import pytest

from archive.search.solr_configset import CONFIGSET_DIR, MAPPING_FILE, configset_files
from archive.search.text import terms


@pytest.fixture(scope="module")
def files():
    return configset_files()


def test_the_committed_configset_is_what_the_index_definition_makes(files):
    committed = {path.name: path.read_text(encoding="utf-8") for path in CONFIGSET_DIR.iterdir()}
    assert sorted(committed) == sorted(files), "run `manage.py solr_configset` and commit"
    for name, text in files.items():
        assert committed[name] == text, f"{name} is out of date: run `manage.py solr_configset`"


def test_every_field_of_the_indexes_is_in_the_schema(files):
    schema = files["schema.xml"]
    for name in ("text", "title", "source", "year", "entities", "published_on", "sort_newest"):
        assert f'<field name="{name}"' in schema
    assert '<field name="speaker"' in schema and '<field name="order_newest"' in schema


def test_the_configset_uses_nothing_solr_9_removed_or_lacks(files):
    everything = "\n".join(files.values())
    classes = re.findall(r'class="([^"]+)"', everything)
    removed = ("Trie", "LRUCache", "LatLonType", "VelocityResponseWriter", "XSLTResponseWriter")
    assert classes and not [c for c in classes if any(word in c for word in removed)]
    # Every resource file the schema and solrconfig name is part of the configset.
    named = re.findall(r'(?:mapping|words|synonyms|protected|dictionary)="([^"]+)"', everything)
    assert named and set(named) <= set(files)


def test_the_character_mapping_folds_what_the_archive_folds(files):
    rules = dict(
        re.match(r'"(.*)" => "(.*)"$', line).groups()
        for line in files[MAPPING_FILE].splitlines()
        if not line.startswith("#")
    )
    assert rules["\\u201C"] == '\\"' and rules["\\u2019"] == "'" and rules["\\u2014"] == "-"
    assert rules["\\u00DC"] == "u" and rules["\\u00DF"] == "ss"  # Ü, ß
    assert terms("“Ürümqi’s”") == ["urumqi"]
