"""Every relative link in the README, CONTRIBUTING.md and docs/ points at a file of the
checkout, and every ``#anchor`` at a heading of its page (GitHub's rule for heading ids)."""

import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = sorted(
    [os.path.join(ROOT, 'README.md'), os.path.join(ROOT, 'CONTRIBUTING.md')]
    + glob.glob(os.path.join(ROOT, 'docs', '**', '*.md'), recursive=True)
)
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^```.*?^```', re.S | re.M)


def slug(heading):
    """GitHub's id of a heading: lower case, markup and punctuation but '-' and '_' dropped,
    spaces to '-'."""
    text = re.sub(r'[`*]', '', heading.strip().lower())
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


def anchors(path):
    with open(path) as f:
        text = FENCE.sub('', f.read())
    seen, out = {}, set()
    for line in text.splitlines():
        m = re.match(r'#{1,6} (.*)', line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else f'{s}-{n}')
    return out


def test_slug_follows_github():
    assert slug('The shared comparison (`configs/compare/`)') == (
        'the-shared-comparison-configscompare'
    )
    assert slug('dpt and the original, side by side') == 'dpt-and-the-original-side-by-side'


@pytest.mark.parametrize('page', PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_relative_links_resolve(page):
    with open(page) as f:
        text = FENCE.sub('', f.read())
    broken = []
    for target in LINK.findall(text):
        if re.match(r'[a-z]+:', target):  # http(s), mailto
            continue
        path, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            broken.append(f'{target}: no such file')
        elif anchor and dest.endswith('.md') and anchor not in anchors(dest):
            broken.append(f'{target}: no heading with that id')
    assert not broken, f'{os.path.relpath(page, ROOT)}: ' + '; '.join(broken)
