"""Bad input gets a Chinese message naming the field, its YAML path and file:line; all at once."""

from __future__ import annotations

import pytest

import reporttool as rt
from reporttool.errors import UserError

BASE = """\
kind: dept_self
year: 2024
department:
  name: 某某局
  rank: 正科级
  functions: [职能一]
  work:
    - title: 工作一
  staffing:
    - {kind: 行政编制, authorized: 10, actual: 9}
funds:
  income: {fiscal: 100.00, other: 0, carryover: 5.00}
  budget: {personnel: 60.00, public: 20.00, project: 20.00}
  final: {personnel: 58.00, public: 19.00, project: 18.00}
goals: {overall: 完成年度任务。}
evaluation:
  purpose: 改进管理。
  basis: [预算法]
  scope: 某某局部门整体支出
indicators:
  - name: 部门决策
    children:
      - name: 目标设定
        children:
          - {name: 目标合理性, weight: 30, score: 28}
  - name: 部门绩效
    children:
      - name: 职责履行
        children:
          - {name: 完成率, weight: 70, score: 65}
problems:
  - {id: P1, title: 档案不全}
suggestions:
  - {title: 健全档案, answers: [P1]}
"""


def messages(text: str) -> list[str]:
    try:
        report = rt.load_text(text, "r.yaml")
    except UserError as exc:
        return [p.format() for p in exc.problems] or [exc.message]
    return [p.format() for p in rt.validate(report)]


def test_base_is_clean():
    assert messages(BASE) == []


CASES = [
    ("money_text", "fiscal: 100.00", "fiscal: 一百",
     'r.yaml:12:12: funds.income.fiscal（收入·财政拨款收入） 应为金额（万元），例如 6348.37 或 "6,348.37"，收到 一百'),
    ("money_negative", "fiscal: 100.00", "fiscal: -5",
     "r.yaml:12:12: funds.income.fiscal（收入·财政拨款收入） 金额不能为负数，收到 -5"),
    ("money_nan", "fiscal: 100.00", "fiscal: .nan",
     "r.yaml:12:12: funds.income.fiscal（收入·财政拨款收入） 金额（万元）不能是 NaN 或无穷大"),
    ("money_inf", "fiscal: 100.00", "fiscal: .inf",
     "r.yaml:12:12: funds.income.fiscal（收入·财政拨款收入） 金额（万元）不能是 NaN 或无穷大"),
    ("money_absurd", "fiscal: 100.00", "fiscal: 1e15",
     "r.yaml:12:12: funds.income.fiscal（收入·财政拨款收入） 金额过大（单位是万元），收到 1e15"),
    ("unknown_field", "  rank: 正科级", "  rnak: 正科级",
     "r.yaml:5:3: department.rnak（部门概况） 不认识的字段（可能拼写有误）；是否想写 rank？此处可用的字段：name、self_name、rank、setup、"
     "divisions、subordinate_units、budget_units、staffing、vehicles、functions、work、management"),
    ("missing_field", "  name: 某某局\n", "",
     "r.yaml:3:1: department.name（部门概况·部门名称） 缺少必填字段"),
    ("unknown_kind", "kind: dept_self", "kind: dept_sel",
     "r.yaml:1:1: kind（报告类型） 未知的报告类型 dept_sel，可选：dept_self（部门整体支出绩效自评报告）、project_self（项目支出绩效自评报告）、key_eval（重点绩效评价报告）、key_eval_project（项目重点绩效评价报告）"),
    ("duplicate_key", "year: 2024", "year: 2024\nyear: 2023",
     "r.yaml:3:1: year 字段“year”重复出现（第 2 行和第 3 行），后一个会覆盖前一个，请合并或删除其一"),
    ("tab_indent", "  rank: 正科级", "\trank: 正科级",
     "r.yaml:5:1: 行首的缩进用了制表符（Tab），请改用空格（每层两个空格）"),
    ("open_bracket", "  functions: [职能一]", "  functions: [职能一",
     "r.yaml:6:14: YAML 语法错误：方括号列表 [...] 没有闭合，或项与项之间缺少逗号"),
    ("open_quote", "  rank: 正科级", '  rank: "正科级',
     "r.yaml:5:9: YAML 语法错误：引号没有闭合"),
    ("uneven_indent", "  work:\n    - title: 工作一\n", "  work:\n    - title: 工作一\n   x: 1\n",
     "r.yaml:9:4: YAML 语法错误：缩进不一致，同一层的字段应左侧对齐"),
    ("bad_indent", "  rank: 正科级", "   rank: 正科级",
     "r.yaml:5:8: YAML 语法错误：此处不能出现“:”，请检查缩进，或给含冒号的文字加引号"),
    ("bad_date", "year: 2024", "year: 2024\nsigned_on: 2025-13-01",
     "r.yaml:3:1: signed_on（落款日期） 日期不存在：2025-13-01"),
    ("year_range", "year: 2024", "year: 24",
     "r.yaml:2:1: year（评价年度） 应不小于 2000，收到 24"),
    ("list_expected", "  functions: [职能一]", "  functions: 职能一",
     "r.yaml:6:3: department.functions（部门概况·部门职能） 应为列表（每一项以“- ”开头），收到 职能一"),
    ("int_expected", "authorized: 10", "authorized: 十",
     "r.yaml:10:20: department.staffing[0].authorized（人员编制「行政编制」·编制数） 应为整数，收到 十"),
    ("half_split", "personnel: 60.00, public: 20.00, ", "personnel: 60.00, ",
     "r.yaml:13:3: funds.budget（部门资金·预算支出） 人员经费 personnel 和公用经费 public 须同时填写"),
    ("leaf_without_score", "{name: 目标合理性, weight: 30, score: 28}", "{name: 目标合理性, weight: 30}",
     "r.yaml:25:13: indicators[0].children[0].children[0]（二级指标「目标设定」·三级指标「目标合理性」） 末级指标「目标合理性」缺少得分 score"),
    ("score_over_weight", "score: 65}", "score: 71}",
     "r.yaml:30:37: indicators[1].children[0].children[0].score（三级指标「完成率」·得分） 得分 71.00 超过分值 70"),
    ("parent_weight", "  - name: 部门决策\n", "  - name: 部门决策\n    weight: 35\n",
     "r.yaml:22:5: indicators[0].weight（一级指标「部门决策」·分值） 所填 35 与下级指标分值合计 30 不符（相差 5）"),
    ("parent_score", "      - name: 职责履行\n", "      - name: 职责履行\n        score: 60\n",
     "r.yaml:29:9: indicators[1].children[0].score（二级指标「职责履行」·得分） 所填 60.00 与三级指标得分合计 65.00 不符（相差 5.00）"),
    ("total_weight", "weight: 70, score: 65", "weight: 75, score: 65",
     "r.yaml:20:1: indicators（指标体系） 指标分值合计为 105，应为 100"),
    ("stated_total", "problems:", "stated_total_score: 92\nproblems:",
     "r.yaml:31:1: stated_total_score（总得分（填报数）） 所填 92.00 与各指标得分合计 93.00 不符（相差 1.00）"),
    ("stated_grade", "problems:", "stated_grade: 良\nproblems:",
     "r.yaml:31:1: stated_grade（评价等级（填报数）） 所填等级“良”与总分 93.00 对应的等级“优”不符"),
    ("stated_carryover", "  final:", "  stated_carryover_end: 11\n  final:",
     "r.yaml:14:3: funds.stated_carryover_end（年末结转结余） 所填 11.00 与收入合计减支出合计 10.00 不符（相差 1.00）"),
    ("stated_rate", "  final:", "  stated_execution_rate: 96%\n  final:",
     "r.yaml:14:3: funds.stated_execution_rate（预算执行率） 所填 96.00% 与按决算支出÷年初预算数计算的 95.00% 不符（相差 1.00 个百分点）"),
    ("stated_spending", "project: 18.00}", "project: 18.00, stated_total: 96}",
     "r.yaml:14:60: funds.final.stated_total（决算支出·支出合计） 所填 96.00 与基本支出与项目支出之和 95.00 不符（相差 1.00）"),
    ("missing_problem", "answers: [P1]", "answers: [P7]",
     "r.yaml:32:5: ［警告］ problems[0]（问题「档案不全」） 没有任何建议回应这个问题"),
    ("required_section", "  functions: [职能一]", "  functions: []",
     "r.yaml:6:3: department.functions（部门概况·部门职能） 缺少必备章节「部门概况／部门职能」所需的数据，请填写 department.functions"),
]


@pytest.mark.parametrize("old, new, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_message(old, new, expected):
    assert old in BASE
    assert expected in messages(BASE.replace(old, new, 1))


def test_dangling_reference_is_an_error():
    msgs = messages(BASE.replace("answers: [P1]", "answers: [P7]"))
    assert "r.yaml:34:29: suggestions[0].answers[0]（建议「健全档案」·对应问题） 引用的问题“P7”不存在" in msgs


def test_all_schema_problems_at_once_in_file_order():
    text = BASE.replace("fiscal: 100.00", "fiscal: x").replace("  rank: 正科级", "  rnak: 正科级").replace(
        "{name: 目标合理性, weight: 30, score: 28}", "{name: 目标合理性, weight: 30}")
    msgs = messages(text)
    assert [m.split(":")[1] for m in msgs] == ["5", "12", "25"]


def test_all_rule_problems_at_once():
    text = (BASE.replace("score: 65}", "score: 71}").replace("answers: [P1]", "answers: [P7]")
            .replace("  final:", "  stated_carryover_end: 11\n  final:"))
    rules = sorted(p.rule for p in rt.validate(rt.load_text(text, "r.yaml")))
    assert rules == ["link.missing_problem", "link.unanswered", "money.carryover", "tree.score_range"]


@pytest.mark.parametrize("text, expected", [
    ("", "e.yaml:1:1: 文件中没有任何内容，请参照 `reporttool new` 生成的模板填写"),
    ("# 只有注释\n", "e.yaml:1:1: 文件中没有任何内容，请参照 `reporttool new` 生成的模板填写"),
    ("- a\n- b\n", "e.yaml:1:1: 顶层应为“字段: 值”的映射，实际是列表"),
    ("hello\n", "e.yaml:1:1: 顶层应为“字段: 值”的映射，实际是单个值"),
    ("kind: []\n", "e.yaml:1:1: kind（报告类型） 未知的报告类型 列表，可选：dept_self（部门整体支出绩效自评报告）、project_self（项目支出绩效自评报告）、key_eval（重点绩效评价报告）、key_eval_project（项目重点绩效评价报告）"),
    ("year: 2024\n", "e.yaml:1:1: kind（报告类型） 缺少报告类型，可选：dept_self（部门整体支出绩效自评报告）、project_self（项目支出绩效自评报告）、key_eval（重点绩效评价报告）、key_eval_project（项目重点绩效评价报告）"),
])
def test_whole_file_problems(text, expected):
    with pytest.raises(UserError) as info:
        rt.load_text(text, "e.yaml")
    assert [p.format() for p in info.value.problems] == [expected]


def test_numbers_as_users_type_them():
    text = BASE.replace("fiscal: 100.00", 'fiscal: "1,00.00"').replace("project: 20.00}", "project: 20.00万元}")
    report = rt.load_text(text, "r.yaml")
    assert str(report.funds.income.fiscal) == "100.00"
    assert str(report.funds.budget.project) == "20.00"


def test_gbk_file_is_read(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(BASE.encode("gbk"))
    assert rt.load(path).department.name == "某某局"


def test_utf8_bom_is_read(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert rt.load(path).department.name == "某某局"


def test_undecodable_file_is_refused(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"kind: dept_self\n\xff\xfe\xfa\x80\x81")
    with pytest.raises(UserError) as info:
        rt.load(path)
    assert "另存为“UTF-8”编码" in info.value.problems[0].message


def test_alias_bomb_is_refused_quickly():
    import time
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    start = time.perf_counter()
    with pytest.raises(UserError) as info:
        rt.load_text(bomb, "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert "锚点" in info.value.message


def test_ordinary_anchors_still_work():
    text = BASE.replace("  income: {fiscal: 100.00, other: 0, carryover: 5.00}",
                        "  income: {fiscal: 100.00, other: 0, carryover: 5.00}\n  budget_copy: &b {personnel: 60.00, public: 20.00, project: 20.00}")
    text = text.replace("  budget_copy: &b", "  budget: &b").replace("  budget: {personnel: 60.00, public: 20.00, project: 20.00}\n", "")
    text = text.replace("  final: {personnel: 58.00, public: 19.00, project: 18.00}", "  final: *b")
    f = rt.view(rt.load_text(text, "r.yaml")).funds
    assert f.final.total.value == f.budget.total.value == 100


def test_gb18030_file_is_read(tmp_path):
    path = tmp_path / "gb.yaml"
    path.write_bytes(BASE.replace("某某局", "𠀀局").encode("gb18030"))
    assert rt.load(path).department.name == "𠀀局"


def test_full_width_percent(tmp_path):
    report = rt.load_text(BASE.replace("  final:", "  stated_execution_rate: ９５％\n  final:"), "r.yaml")
    assert str(report.funds.stated_execution_rate) == "95"


def test_control_characters_warn_with_the_field():
    msgs = messages(BASE.replace("  rank: 正科级", '  rank: "正科\\x0b级\\x07"'))
    assert msgs == ["r.yaml:5:3: ［警告］ department.rank（部门概况·机构级别） 含有无法写入 Word 的控制字符 U+0007，生成时已删除（多为从其他软件粘贴带入）"]
