"""The bundled sample news site: fictional stories in three publishers' page templates, with RSS,
Atom and news-sitemap discovery, served on loopback for the demo and the tests.

`stories()` is the ground truth a cleaner's output is checked against.
"""

from devtools.sample_site.boilerplate import JUNK_MARKERS
from devtools.sample_site.server import SampleSite
from devtools.sample_site.stories import FEEDS, TEMPLATES, Story, stories

__all__ = ["FEEDS", "JUNK_MARKERS", "TEMPLATES", "SampleSite", "Story", "stories"]
