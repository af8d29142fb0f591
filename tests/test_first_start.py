"""First start as a person sees it: the seeding progress in the user's language, and no banner
left once the store is ready."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import bootstrap
from ui.i18n import use_language

# Every step seed_data/loader.py reports (its command line prints them in English).
LOADER_STEPS = [
    "regions",
    "activities",
    "activities 1,000/50,000",
    "monthly reports",
    "done",
    "demo data already present",
]


@pytest.mark.parametrize("step", LOADER_STEPS)
def test_progress_labels_are_chinese(step):
    use_language("zh")
    label = bootstrap.progress_label(step)
    assert label.startswith("正在生成：")
    words = ("regions", "activities", "rollups", "reports", "done", "demo", "present")
    assert not any(word in label for word in words), label


def test_progress_label_keeps_the_count_and_speaks_english_in_english():
    use_language("en")
    try:
        assert bootstrap.progress_label("activities 1,000/50,000").replace("\\", "") == (
            "Building: activities 1,000/50,000"
        )
    finally:
        use_language("zh")


def _first_start_page() -> None:
    import streamlit as st

    from ui import bootstrap

    labels = st.session_state.setdefault("labels", [])

    def fake_seed(engine, progress):
        for fraction, step in ((0.0, "regions"), (0.5, "activities 5/10"), (1.0, "done")):
            labels.append(bootstrap.progress_label(step))
            progress(fraction, step)

    bootstrap.seed_demo = fake_seed
    bootstrap._seed_with_progress(engine=None)
    st.text_input("用户名", key="auth_username")  # what the sign-in form shows next


def test_the_creating_banner_is_gone_once_the_sign_in_form_shows():
    real = bootstrap.seed_demo
    try:
        at = AppTest.from_function(_first_start_page).run()
    finally:
        bootstrap.seed_demo = real
    assert not at.exception
    assert not at.info and not at.success and not at.get("progress")
    assert at.text_input(key="auth_username")
    assert any("演示数据已就绪" in toast.value for toast in at.toast)
    assert at.session_state["labels"][1].startswith("正在生成：活动记录")
