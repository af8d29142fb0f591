"""A page showing every hostile Markdown payload through ui.plain in each kind of element that
renders Markdown, for tests/hostile/test_urls_hostile.py to inspect in Chromium (run with
`streamlit run`, which runs a script as __main__)."""

import streamlit as st

from tests.hostile.payloads import MARKDOWN, URL_VALUES
from ui.plain import plain

# More of the kinds Streamlit's Markdown turns into something else: bare and reference links,
# e-mail and chat addresses, icons, emoticons, arrows, lists, quotes, tables, entities, math.
MORE_MARKDOWN = (
    "http://evil.example/x https://evil.example",
    "WWW.evil.example www.evil.example",
    "a@evil.example mailto:a@b.example xmpp:a@b.example",
    "[x][a]\n\n[a]: http://evil.example/",
    "line\r===",
    "line\r\n---",
    "1. item",
    "- item",
    "> quote",
    "|a|b|\n|-|-|\n|1|2|",
    "&lt;b&gt; &#60;img&#62;",
    ":material/home: :streamlit: :+1:",
    ":) ;) :D",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "$$x^2$$ \\(x\\)",
    "\\[x](http://evil.example/)",
    "<!-- c --> <b>b</b>",
    "***",
    "~~~\ncode\n~~~",
    ":small[x] :rainbow-badge[y] :violet[z]",
)
PAYLOADS = (*MARKDOWN, *MORE_MARKDOWN, *(v for v in URL_VALUES if v not in MARKDOWN))

if __name__ == "__main__":
    for i, payload in enumerate(PAYLOADS):
        with st.container(key=f"payload_{i}"):
            st.markdown(plain(payload))
            # Our own short code loads the emoji plugin for this element: the payload's must
            # still show as typed.
            st.markdown(f"{plain(payload)} :smile:")
            st.caption(plain(payload))
            st.warning(plain(payload))
            st.checkbox(plain(payload), key=f"label_{i}")
    st.markdown("END")
