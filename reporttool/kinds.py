"""The report kinds and their Chinese names: light, so the command line can name them without loading the model."""

KIND_TITLES = {
    "dept_self": "部门整体支出绩效自评报告",
    "project_self": "项目支出绩效自评报告",
    "key_eval": "重点绩效评价报告",
    "key_eval_project": "项目重点绩效评价报告",
}
