"""Rich display of huge or hostile results stays small and escaped: a sweep of a million points, a distribution of
thousands of labels, a proposal whose doc is 20,000 characters of markup. Each case runs in a bounded child process
(:mod:`limits`) and must end cleanly.
"""
from __future__ import annotations

import json

import limits


def shown(code: str) -> dict:
    r = limits.run_python(code)
    assert r.clean, str(r)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_a_sweep_of_a_million_points_shows_a_short_table_and_a_thinned_plot():
    out = shown("""
        import json, numpy as np
        from markovwire.library import load_proposal
        from markovwire.library.shipped import proposals_dir
        p = load_proposal(proposals_dir() / "off_switch.yaml")
        etas = np.linspace(0, 0.5, 1_000_000)
        r = p.evaluate({"eta": etas}, ["value_defer"])
        html = r._repr_html_()
        print(json.dumps({"size": len(html), "svg": html.count("<svg"), "points": "1000000 points" in html,
                          "first": float(r["value_defer"][0]), "last": float(r["value_defer"][-1])}))
    """)
    assert out["svg"] == 1 and out["points"] and out["size"] < 400_000
    assert out["first"] == 1.0 and abs(out["last"] - (1 - 1.75 * 0.5)) < 1e-9   # 1 − 1.75·eta by hand


def test_a_distribution_of_thousands_of_labels_shows_fifty_and_how_many_more():
    out = shown("""
        import json
        from markovwire.library.display import Results
        r = Results({"d": {f"x{i}": 1 / 5000 for i in range(5000)}})
        html = r._repr_html_()
        print(json.dumps({"size": len(html), "rows": html.count("<tr>"), "more": "… 4,950 more labels" in html}))
    """)
    assert out["more"] and out["rows"] == 1 + 1 + 50 + 1 and out["size"] < 20_000


def test_a_doc_of_twenty_thousand_characters_of_markup_stays_text(tmp_path):
    doc = "<script>alert(1)</script>" * 800          # 20,000 characters, the schema's limit for a doc
    data = (tmp_path / "doc.json")
    data.write_text(json.dumps(doc))
    out = shown(f"""
        import json, yaml
        from markovwire.library import proposal_from_text
        from markovwire.library.shipped import proposals_dir
        spec = yaml.safe_load((proposals_dir() / "off_switch.yaml").read_text())
        spec["doc"] = json.loads(open({str(data)!r}).read())
        p = proposal_from_text(yaml.safe_dump(spec), "hostile.yaml")
        html = p._repr_html_()
        print(json.dumps({{"script": html.lower().count("<script"), "escaped": html.count("&lt;script&gt;")}}))
    """)
    assert out == {"script": 0, "escaped": 800}
