"""The Brief Addiction Monitor on the web: the generic questionnaire form posts a BAM, the result reads its three
scores in words, a skipped item may be left out (and is refused when answered), and the chart shows the last
responses' scores newest first."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from tests.integration.test_web_pages import app, csrf, seeded_database, signed_in  # noqa: F401  (fixtures)
from tests.seeding import seed

from naltrack.domain.questionnaires import score_response
from naltrack.instruments.bam import BAM_ITEMS

#: Heavy use at intake (the hand-worked example of tests/unit/instruments/test_bam.py): use 9, risk 16, protective 3.
HEAVY = {"1": 3, "2": 3, "3": 2, "4": 4, "5": 3, "6": 2, "7a": 1, "7e": 2, "8": 3, "9": 1, "11": 3, "13": 1,
         "15": 2, "16": 1, "17": 1}


def answers(given: dict[str, int], *, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """Form fields for every BAM item (0 unless given), without the items left out."""
    fields = {item.link_id: str(given.get(item.link_id.removeprefix("bam-"), 0)) for item in BAM_ITEMS}
    return {name: value for name, value in fields.items() if name.removeprefix("bam-") not in leave_out}


def post_bam(client, fields: dict[str, str]):  # noqa: ANN201
    form = client.get("/patients/p1/questionnaires/bam").text
    return client.post("/patients/p1/questionnaires/bam", data={"csrf_token": csrf(form), **fields})


def test_the_form_numbers_items_as_printed_and_says_when_to_leave_one_out(app):  # noqa: F811
    form = signed_in(app, "couns.ray").get("/patients/p1/questionnaires/bam").text
    assert "7A. Days using marijuana (cannabis)" in form and "8. Bothered by cravings" in form
    assert "17. Satisfied with progress" in form and "16-30 days (4)" in form and "Yes (4)" in form
    assert "Leave out when item 4 is “0 days”." in form.split('id="f-bam-5"')[1].split("</fieldset>")[0]


def test_a_bam_posted_shows_its_three_scores_in_words(app):  # noqa: F811
    page = post_bam(signed_in(app, "couns.ray"), answers(HEAVY))
    assert page.status_code == 200
    result = page.text.split('id="score-result"')[1].split("</div>")[0]
    assert re.search(r'id="subscale-use">Substance use: <strong>9</strong> of 12, clinically significant '
                     r"\(BAM use score 1 or more", result)
    assert re.search(r'id="subscale-risk">Risk factors: <strong>16</strong> of 24, clinically significant', result)
    assert re.search(r'id="subscale-protective">Protective factors: <strong>3</strong> of 24, clinically '
                     r"significant \(BAM protective-factor score 12 or below", result)
    assert "Scored by subscale" in result and 'id="score-total"' not in page.text
    assert 'class="notice danger"' not in page.text   # the BAM's flags read in the result, not as alarms


def test_item_5_left_out_after_no_alcohol_is_saved_as_0(app):  # noqa: F811
    page = post_bam(signed_in(app, "couns.ray"), answers({"4": 0, "9": 4, "10": 4, "12": 4, "13": 4}, leave_out=("5",)))
    assert page.status_code == 200
    assert re.search(r'id="subscale-use">Substance use: <strong>0</strong> of 12, not in the range of concern',
                     page.text)
    assert re.search(r'id="subscale-protective">Protective factors: <strong>16</strong> of 24, not in', page.text)


def test_item_5_answered_after_no_alcohol_is_refused_on_its_field_and_nothing_saved(app):  # noqa: F811
    client = signed_in(app, "couns.ray")
    page = post_bam(client, answers({"4": 0, "5": 2}))
    assert page.status_code == 422
    error = page.text.split('id="e-bam-5"')[1].split("</")[0]
    assert "must be 0 or left out" in error and "bam-4 (Days with any alcohol) is 0" in error
    assert "bam-trend" not in client.get("/patients/p1").text


def test_item_5_left_out_after_days_of_alcohol_is_required(app):  # noqa: F811
    page = post_bam(signed_in(app, "couns.ray"), answers({"4": 2}, leave_out=("5",)))
    assert page.status_code == 422 and 'id="e-bam-5"' in page.text


def test_the_chart_shows_the_bam_scores_newest_first(app):  # noqa: F811
    now = datetime.now(UTC)
    older = [score_response("female", "bam", [0] * 23, id=f"bam-old-{n}", patient_id="p1",
                            completed_at=now - timedelta(days=30 * n)) for n in (1, 2)]
    seed(app.state.storage.uow, records=older, now=now)
    client = signed_in(app, "couns.ray")
    assert post_bam(client, answers(HEAVY)).status_code == 200
    chart = client.get("/patients/p1").text
    table = chart.split('id="bam-trend"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>[^<]+</td>(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<td>(?:<span class=\"pos\">)?(\d+)", row) for row in rows]
    assert cells == [["9", "16", "3"], ["0", "0", "0"], ["0", "0", "0"]]
    assert '<span class="pos">16</span>' in rows[0] and "Use (0-12)" in table and "Protective (0-24)" in table
    series = json.loads(chart.split('id="scores-data">')[1].split("</script>")[0])
    bam = {s["id"]: s for s in series if s["id"].startswith("bam")}
    assert set(bam) == {"bam-use", "bam-risk", "bam-protective"}
    assert bam["bam-risk"]["totals"][-1] == 16 and bam["bam-risk"]["max"] == 24
    assert "use 9 · risk 16 · protective 3" in chart
