"""One catalogue of user-facing words, in English and Chinese.

Each message has an id and its text in both languages; ``{name}`` placeholders are filled
by :func:`message` (or a :class:`Catalogue` bound to a language).  The HTML report, the
Excel export and the progress bar take all their words from here, and the command line can
move its messages here one by one.  A test checks that every message has both languages
and the same placeholders in each.

    >>> message("report.period", "zh", period="2015")
    '考核期 2015'
    >>> t = Catalogue("en")
    >>> t("report.period", period="2015")
    'period 2015'
"""

from __future__ import annotations

from collections.abc import Mapping

from dangjian_rules.errors import Language

__all__ = ["LANGUAGES", "MESSAGES", "Catalogue", "message"]

LANGUAGES: tuple[Language, ...] = ("zh", "en")

#: message id → {"en": …, "zh": …}
MESSAGES: dict[str, Mapping[str, str]] = {
    # ------------------------------------------------------------------ report: frame
    "report.title": {"en": "Party-building assessment report", "zh": "党建考核报告"},
    "report.period": {"en": "period {period}", "zh": "考核期 {period}"},
    "report.subtitle": {
        "en": "{period} ({start} to {end}) · {rulesets} ruleset(s) · {organizations} organizations, {members} members, {events} records",
        "zh": "{period}（{start} 至 {end}）· {rulesets} 个规则集 · {organizations} 个党组织、{members} 名党员、{events} 条记录",
    },
    "report.contents": {"en": "Contents", "zh": "目录"},
    "report.illustrative": {
        "en": "Shipped rulesets are illustrative: modelled on typical published schemes, not a county's official figures.",
        "zh": "随附的规则集为示意性质：参照常见的公开方案编写，并非各县（市、区）的正式标准。",
    },
    "report.footer": {
        "en": "Made by {engine}. Every figure can be traced to its records in the drill-down above.",
        "zh": "由 {engine} 生成。每一个数字都可以在“逐项说明”中追溯到具体记录。",
    },
    "report.none": {"en": "None in this run.", "zh": "本次评估中没有。"},
    "report.not_applicable": {
        "en": "No ruleset of this run has any.",
        "zh": "本次评估的规则集中没有此项。",
    },
    # ------------------------------------------------------------------ report: sections
    "section.overview": {"en": "Overview and provenance", "zh": "概况与来源"},
    "section.city": {"en": "Side by side: comparison of {groups}", "zh": "横向比较：{groups}对比"},
    "section.grades": {"en": "Grade distribution", "zh": "等次分布"},
    "section.stars": {"en": "Star ratings by {group}", "zh": "各{group}星级分布"},
    "section.tiers": {"en": "Tiers by {group}", "zh": "各{group}分类定级"},
    "section.selection": {"en": "Selections (top-N lists)", "zh": "评选结果（前 N 名）"},
    "section.rectification": {"en": "Rectification lists per venue", "zh": "活动场所整改清单"},
    "section.flags": {"en": "Flags and one-vote vetoes", "zh": "提示标记与一票否决"},
    "section.subjects": {"en": "Per-subject drill-down", "zh": "逐项说明（每个考核对象）"},
    # ------------------------------------------------------------------ report: groups
    "group.region": {"en": "region", "zh": "地区"},
    "group.regions": {"en": "regions", "zh": "各地区"},
    "group.top": {"en": "committee", "zh": "单位"},
    "group.tops": {"en": "committees", "zh": "各单位"},
    "group.explain.region": {
        "en": "Subjects are grouped by the region of their organization.",
        "zh": "按所在党组织的地区分组。",
    },
    "group.explain.top": {
        "en": "Subjects are grouped by the top-level organization they belong to (the organizations directly under {root}).",
        "zh": "按所属的上级党组织分组（{root}直接领导的党组织）。",
    },
    "group.explain.roots": {
        "en": "Subjects are grouped by the top organization of their tree.",
        "zh": "按各自最上级的党组织分组。",
    },
    "group.no_region": {"en": "(no region)", "zh": "（未填写地区）"},
    "group.all": {"en": "all", "zh": "合计"},
    # ------------------------------------------------------------------ report: overview
    "overview.period": {"en": "Period", "zh": "考核期"},
    "overview.engine": {"en": "Engine", "zh": "计算引擎"},
    "overview.data": {"en": "Data fingerprint (SHA-256)", "zh": "数据指纹（SHA-256）"},
    "overview.size": {"en": "Data", "zh": "数据规模"},
    "overview.size_value": {
        "en": "{organizations} organizations, {members} members, {events} records",
        "zh": "{organizations} 个党组织、{members} 名党员、{events} 条记录",
    },
    "overview.grouping": {"en": "Grouping", "zh": "分组方式"},
    "overview.previous": {"en": "Previous period", "zh": "上期结果"},
    "overview.previous_value": {
        "en": "{period}: star and tier changes are limited against it",
        "zh": "{period}：晋星、降星与晋级按上期结果限制",
    },
    "overview.rulesets": {"en": "Rulesets", "zh": "规则集"},
    "overview.accounting": {
        "en": "Every record accounted for",
        "zh": "记录核算（每条记录的去向）",
    },
    "overview.accounting_note": {
        "en": "Per ruleset: what happened to each record of the subjects it rated, and the records it rated no subject for.",
        "zh": "按规则集统计：考核对象的每条记录如何计入，以及不属于任何考核对象的记录数。",
    },
    "overview.unassigned": {"en": "not about a rated subject", "zh": "不属于考核对象"},
    # ------------------------------------------------------------------ columns
    "col.ruleset": {"en": "Ruleset", "zh": "规则集"},
    "col.ruleset_id": {"en": "Id", "zh": "编号"},
    "col.version": {"en": "Version", "zh": "版本"},
    "col.subject_kind": {"en": "Rates", "zh": "考核对象"},
    "col.sha256": {"en": "SHA-256 of its source", "zh": "规则源文件 SHA-256"},
    "col.extends": {"en": "Extends", "zh": "继承自"},
    "col.id": {"en": "Id", "zh": "编号"},
    "col.name": {"en": "Name", "zh": "名称"},
    "col.member_name": {"en": "Name", "zh": "姓名"},
    "col.organization": {"en": "Organization", "zh": "所在组织"},
    "col.parent": {"en": "Parent organization", "zh": "上级党组织"},
    "col.group": {"en": "Group", "zh": "分组"},
    "col.status": {"en": "Status", "zh": "状态"},
    "col.subjects": {"en": "Subjects", "zh": "考核对象数"},
    "col.score": {"en": "Score", "zh": "得分"},
    "col.base": {"en": "Base", "zh": "基础分"},
    "col.average": {"en": "Average score", "zh": "平均分"},
    "col.grade": {"en": "Grade", "zh": "等次"},
    "col.scale": {"en": "Scale", "zh": "等次表"},
    "col.count": {"en": "Count", "zh": "数量"},
    "col.share": {"en": "Share", "zh": "占比"},
    "col.pass_share": {"en": "Share at {grades} or better", "zh": "{grades}及以上占比"},
    "col.stars": {"en": "Stars", "zh": "星级"},
    "col.average_stars": {"en": "Average stars", "zh": "平均星级"},
    "col.top_star_share": {"en": "Share with {stars} stars", "zh": "{stars}星占比"},
    "col.tier": {"en": "Tier", "zh": "类别"},
    "col.top_tier_share": {"en": "Share “{tier}”", "zh": "“{tier}”占比"},
    "col.checklist_pass_share": {
        "en": "{measure}: share “{verdict}”",
        "zh": "{measure}：“{verdict}”占比",
    },
    "col.selected": {"en": "Selected", "zh": "入选"},
    "col.rank": {"en": "Rank", "zh": "名次"},
    "col.scope": {"en": "Ranked within", "zh": "评选范围"},
    "col.keys": {"en": "Ranked by", "zh": "排序依据"},
    "col.flagged": {"en": "Flagged", "zh": "提示"},
    "col.vetoed": {"en": "One-vote veto", "zh": "一票否决"},
    "col.flag": {"en": "Flag", "zh": "提示标记"},
    "col.figures": {"en": "Figures", "zh": "依据数据"},
    "col.veto_rule": {"en": "Veto", "zh": "否决事项"},
    "col.record": {"en": "Record", "zh": "记录编号"},
    "col.date": {"en": "Date", "zh": "日期"},
    "col.inspected": {"en": "Inspected", "zh": "检查日期"},
    "col.verdict": {"en": "Verdict", "zh": "结论"},
    "col.passed_items": {"en": "Items passed", "zh": "达标项数"},
    "col.to_rectify": {"en": "To rectify", "zh": "需整改项目"},
    "col.type": {"en": "Type", "zh": "类型"},
    "col.bucket": {"en": "Accounted as", "zh": "计分情况"},
    "col.rule": {"en": "Rule", "zh": "规则"},
    "col.points": {"en": "Points", "zh": "计分"},
    "col.nominal": {"en": "Before caps", "zh": "应得分"},
    "col.limit": {"en": "Limited by", "zh": "受限于"},
    "col.note": {"en": "Note", "zh": "备注"},
    "col.total": {"en": "Total", "zh": "合计"},
    "col.bucket_count": {"en": "records {bucket}", "zh": "记录数·{bucket}"},
    "col.field": {"en": "Item", "zh": "项目"},
    "col.value": {"en": "Value", "zh": "内容"},
    # ------------------------------------------------------------------ values
    "value.member": {"en": "members", "zh": "党员"},
    "value.organization": {"en": "organizations", "zh": "党组织"},
    "value.full": {"en": "full member", "zh": "正式党员"},
    "value.probationary": {"en": "probationary member", "zh": "预备党员"},
    "value.yes": {"en": "yes", "zh": "是"},
    "value.no": {"en": "no", "zh": "否"},
    "value.none": {"en": "—", "zh": "—"},
    "value.no_grade": {"en": "no grade", "zh": "无等次"},
    "value.stars": {"en": "{count} star(s)", "zh": "{count}星"},
    "value.selected": {"en": "selected", "zh": "入选"},
    "value.not_selected": {"en": "not selected", "zh": "未入选"},
    "value.not_eligible": {"en": "not eligible", "zh": "不符合参评条件"},
    "value.vetoed": {"en": "vetoed", "zh": "一票否决"},
    # ------------------------------------------------------------------ report: texts
    "grades.caption": {
        "en": "{ruleset}: subjects per grade",
        "zh": "{ruleset}：各等次人数（个数）",
    },
    "grades.pass_rule": {
        "en": "“{grades} or better” counts the grades from the top down to and including {grades}; a scale of one grade only (e.g. 不适用) is left out of the shares.",
        "zh": "“{grades}及以上”指从最高等次到{grades}（含）；只有一个等次的等次表（如“不适用”）不计入占比。",
    },
    "grades.vetoed": {"en": "one-vote veto: {count}", "zh": "一票否决：{count}"},
    "city.caption": {
        "en": "{ruleset}: {measure} by {group}",
        "zh": "{ruleset}：各{group}{measure}",
    },
    "city.spread": {
        "en": "Spread: highest {high} ({high_group}), lowest {low} ({low_group}).",
        "zh": "差距：最高 {high}（{high_group}），最低 {low}（{low_group}）。",
    },
    "city.legend": {
        "en": "In each column the highest value is marked green and the lowest red.",
        "zh": "每列最高值标绿，最低值标红。",
    },
    "city.single": {
        "en": "Only one {group} in this data: nothing to compare side by side.",
        "zh": "本数据只有一个{group}，无需横向比较。",
    },
    "stars.caption": {
        "en": "{ruleset}: stars by {group} (share of rated organizations)",
        "zh": "{ruleset}：各{group}星级分布（占参评党组织的比例）",
    },
    "tiers.caption": {
        "en": "{ruleset}: tiers by {group}",
        "zh": "{ruleset}：各{group}分类定级",
    },
    "checklist.caption": {
        "en": "{ruleset} — {measure}: verdicts by {group}",
        "zh": "{ruleset}——{measure}：各{group}检查结论",
    },
    "checklist.not_inspected": {
        "en": "Not inspected in the period (not assessed, which is not the same as failing): {names}",
        "zh": "考核期内未检查（未评定，不等于不达标）：{names}",
    },
    "checklist.all_passed": {
        "en": "Every inspected venue passed every item.",
        "zh": "所有已检查的活动场所各项均达标。",
    },
    "selection.caption": {
        "en": "{label}: {count} selected of {eligible} eligible",
        "zh": "{label}：{eligible} 个符合条件，{count} 个入选",
    },
    "flags.caption": {"en": "{ruleset}: {flag}", "zh": "{ruleset}：{flag}"},
    "flags.vetoes": {"en": "One-vote vetoes", "zh": "一票否决"},
    "subjects.filter": {"en": "Find by id or name", "zh": "按编号或姓名查找"},
    "subjects.expand": {"en": "Open all", "zh": "全部展开"},
    "subjects.collapse": {"en": "Close all", "zh": "全部收起"},
    "subjects.hint": {
        "en": "Open a subject to read its explanation: each rule, each record, the caps that bit, the verdict.",
        "zh": "展开考核对象即可查看说明：每条规则、每条记录、封顶情况和最终结论。",
    },
    "subjects.omitted": {
        "en": "The per-subject explanations were left out of this report (--no-drill-down).",
        "zh": "本报告未包含逐项说明（使用了 --no-drill-down）。",
    },
    "chart.count": {"en": "{label}: {count}", "zh": "{label}：{count}"},
    "chart.share": {"en": "{label}: {count} ({share})", "zh": "{label}：{count}（{share}）"},
    # ------------------------------------------------------------------ accounting buckets
    "bucket.counted": {"en": "counted", "zh": "计分"},
    "bucket.partial": {"en": "counted in part", "zh": "部分计分"},
    "bucket.capped": {"en": "not counted (cap reached)", "zh": "超出封顶未计"},
    "bucket.veto": {"en": "one-vote veto", "zh": "一票否决"},
    "bucket.measured": {"en": "used by a measure", "zh": "用于指标"},
    "bucket.unmatched": {"en": "matched by no rule", "zh": "无对应规则"},
    "bucket.pending": {"en": "pending review", "zh": "待审核"},
    "bucket.returned": {"en": "returned by the reviewer", "zh": "已退回"},
    "bucket.outside_period": {"en": "outside the period", "zh": "不在考核期内"},
    # ------------------------------------------------------------------ parts of measures
    "part.met": {"en": "windows met", "zh": "达标周期数"},
    "part.exposed": {"en": "windows counted", "zh": "应考核周期数"},
    "part.missed": {"en": "windows missed", "zh": "未达标周期数"},
    "part.longest": {"en": "longest run", "zh": "最长连续周期数"},
    "part.inspected": {"en": "inspected", "zh": "已检查"},
    "part.passed": {"en": "items passed", "zh": "达标项数"},
    "part.missing": {"en": "items to rectify", "zh": "需整改项数"},
    "part.date": {"en": "date", "zh": "日期"},
    "part.members": {"en": "members", "zh": "党员数"},
    "part.hits": {"en": "members counted", "zh": "符合条件人数"},
    # ------------------------------------------------------------------ Excel export
    "xlsx.overview": {"en": "Overview", "zh": "概览"},
    "xlsx.trace": {"en": "Records", "zh": "记录明细"},
    "xlsx.trace_more": {"en": "Records ({n})", "zh": "记录明细（{n}）"},
    # ------------------------------------------------------------------ progress
    "progress.loading_rulesets": {"en": "reading rulesets …", "zh": "正在读取规则集……"},
    "progress.loading_data": {"en": "reading data …", "zh": "正在读取数据……"},
    "progress.evaluating": {"en": "evaluating", "zh": "正在评估"},
    "progress.writing": {"en": "writing {what} …", "zh": "正在生成{what}……"},
    "progress.done": {"en": "done in {seconds} s", "zh": "完成，用时 {seconds} 秒"},
    # ------------------------------------------------------------------ command line
    "cli.wrote": {"en": "Wrote {path} ({size})", "zh": "已写入 {path}（{size}）"},
    "cli.excel_missing": {
        "en": 'the xlsx format needs openpyxl: pip install "dangjian-rules[excel]"',
        "zh": 'xlsx 格式需要 openpyxl：请运行 pip install "dangjian-rules[excel]"',
    },
    "cli.binary_to_terminal": {
        "en": "the {format} format is binary: write it to a file with --output FILE",
        "zh": "{format} 格式是二进制文件：请用 --output 文件名 写入文件",
    },
}


def message(key: str, lang: Language = "en", /, **values: object) -> str:
    """The text of message ``key`` in ``lang``, with its placeholders filled."""
    text = MESSAGES[key][lang]
    return text.format(**values) if values else text


class Catalogue:
    """The messages in one language: ``t = Catalogue("zh"); t("report.title")``."""

    def __init__(self, lang: Language) -> None:
        self.lang: Language = lang

    def __call__(self, key: str, /, **values: object) -> str:
        return message(key, self.lang, **values)
