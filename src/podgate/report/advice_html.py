"""The advisor's section of the HTML report: an HTML fragment (no <html>, no scripts, no network),
everything from the input autoescaped. Takes the advisor's report JSON
(`podgate.advisor.output.report_json`)."""

from __future__ import annotations

from typing import Any

from podgate.report.templating import environment

_TEMPLATE = """\
<section class="podgate-advice" id="advice">
<h2>Which workloads need what</h2>
<p>{{ r.workloads }} workloads, {{ r.policies|length }} least-privilege policies (grouped by
{{ r.groupBy }}); {{ r.podsObserved }} observed pods ({{ r.podsChecked }} distinct as PSP reads
them) are admitted unchanged by them.</p>
{% for n in r.notes %}<p class="note">{{ n }}</p>
{% endfor %}<table class="advice-policies">
<thead><tr><th>policy</th><th>service accounts</th><th>notes</th></tr></thead>
<tbody>
{% for p in r.policies %}<tr><td>{{ p.name }}</td><td>{{ p.serviceAccounts|join(", ") }}</td>\
<td>{{ p.notes|join("; ") }}</td></tr>
{% endfor %}</tbody>
</table>
<table class="advice-uses">
<thead><tr><th>control</th><th>value</th><th>workloads and containers</th></tr></thead>
<tbody>
{% for entry in r.uses %}{% for v in entry["values"] %}<tr><td>{{ entry.key }}</td>\
<td>{{ v.value }}</td><td>{% for u in v.usedBy %}{{ u.workload }}\
{% if u.container %} [{{ u.container }}]{% endif %}{% if not loop.last %}, {% endif %}\
{% endfor %}</td></tr>
{% endfor %}{% endfor %}</tbody>
</table>
<h3>Narrow exceptions</h3>
{% if r.exceptions %}<table class="advice-exceptions">
<thead><tr><th>severity</th><th>namespace</th><th>control</th><th>value</th>\
<th>service accounts</th><th>policy</th></tr></thead>
<tbody>
{% for e in r.exceptions %}<tr class="sev-{{ e.severity }}"><td>{{ e.severity }}</td>\
<td>{{ e.namespace }}</td><td>{{ e.key }}</td><td>{{ e.value }}</td>\
<td>{{ e.serviceAccounts|join(", ") }}{% if e.sharedWith %} (shared with \
{{ e.sharedWith|join(", ") }}){% endif %}</td><td>{{ e.policies|join(", ") }}</td></tr>
{% endfor %}</tbody>
</table>
{% else %}<p>None: no privilege is needed by only some service accounts of a namespace.</p>
{% endif %}<h3>Pod Security Standards per namespace</h3>
<table class="advice-namespaces">
<thead><tr><th>namespace</th><th>level</th><th>workloads</th><th>command</th></tr></thead>
<tbody>
{% for n in r.namespaces %}<tr><td>{{ n.namespace }}</td><td>{{ n.level }}:{{ n.version }}</td>\
<td>{{ n.workloads }}</td><td><code>{{ n.command }}</code></td></tr>
{% endfor %}</tbody>
</table>
<h3>Existing PodSecurityPolicies: pods they mutate or deny</h3>
{% set x = r.existingPolicies %}{% if not x.policies %}<p>No PodSecurityPolicies in the input.</p>
{% elif not x.mutatedOrDenied %}<p>None: every pod is admitted unchanged.</p>
{% else %}<ul class="advice-existing">
{% for m in x.mutatedOrDenied %}<li>{{ m.workload }}: {% if m.allowed %}mutated by \
{{ m.policy }} ({% for op in m.patch %}{{ op.op }} {{ op.path }}{% if not loop.last %}, \
{% endif %}{% endfor %}){% else %}denied: {{ m.message }}{% endif %}</li>
{% endfor %}</ul>
{% endif %}</section>
"""

_ENV = environment(trim=False)


def render(report: dict[str, Any]) -> str:
    """The advisor section as an HTML fragment."""
    return _ENV.from_string(_TEMPLATE).render(r=report)
