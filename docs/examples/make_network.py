"""Writes network.graphml next to this file: a small account network as a user might draw it
in Gephi or yEd, written by networkx's write_graphml (node ids n0, n1, ...; attributes named
as the user named them; edges without ids). One person is born in the future: the import
rejects that node, and the job of that person with it. Import it with network.toml.

    uv run python docs/examples/make_network.py
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

NODES = (
    (
        "n0",
        {
            "label": "杭州智联恒通科技有限公司",
            "类型": "公司",
            "行业": "软件和信息技术服务业",
            "级别": "CORE",
        },
    ),
    (
        "n1",
        {
            "label": "苏州瑞丰电子有限公司",
            "类型": "公司",
            "行业": "计算机、通信和其他电子设备制造业",
        },
    ),
    (
        "n2",
        {"label": "张伟", "类型": "人", "邮箱": "zhang.wei@example.cn", "出生日期": "1980-05-04"},
    ),
    ("n3", {"label": "李娜", "类型": "人", "邮箱": "li.na@example.cn"}),
    ("n4", {"label": "王芳", "类型": "人", "出生日期": "2999-01-01"}),  # born in the future
)
EDGES = (
    ("n2", "n0", {"关系": "任职", "职务": "总经理", "起始": "2015-03-01"}),
    ("n3", "n0", {"关系": "任职", "职务": "采购经理"}),
    ("n1", "n0", {"关系": "供应", "产品": "伺服电机"}),
    ("n3", "n2", {"关系": "汇报"}),
    ("n4", "n1", {"关系": "任职", "职务": "工程师"}),  # its person is rejected
)


def write(path: Path) -> None:
    g = nx.DiGraph()
    g.add_nodes_from(NODES)
    g.add_edges_from(EDGES)
    nx.write_graphml(g, str(path), encoding="utf-8")


if __name__ == "__main__":
    write(Path(__file__).with_name("network.graphml"))
