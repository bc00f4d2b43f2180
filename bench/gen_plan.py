#!/usr/bin/env python3
"""A plan of many KPIs for the scorecard benchmark (issue 17), deterministic.

    gen_plan.py OUT_DIR OWNER LEVEL AREA N INDICATOR...

writes OUT_DIR/goals.csv and OUT_DIR/kpis.csv: 10 policy goals with 5 action plans each, and N
KPIs spread over the action plans, each reading one of the INDICATORs on LEVEL/AREA (every
fifth one without a data source, entered in check-ins), with a baseline, targets for 2026 and
2031 and tolerance bands. The template is the one `peil plans import` reads.
"""
import os
import sys


def main():
    out, owner, level, area, n = sys.argv[1:6]
    indicators = sys.argv[6:]
    n = int(n)
    goals = ["code;parent;name;owner;description;start;end"]
    plans = []
    for b in range(10):
        goals.append(f"BD{b};;Beleidsdoelstelling {b};{owner};;2026;2031")
        for a in range(5):
            code = f"AP{b}.{a}"
            plans.append(code)
            goals.append(f"{code};BD{b};Actieplan {b}.{a};{owner};;2026;2031")
    kpis = [
        "code;goal;name;owner;indicator;level;area;unit;direction;baseline;baseline year;"
        "on track within;at risk within;target 2026;target 2031"
    ]
    for i in range(n):
        goal = plans[i % len(plans)]
        direction = "higher" if i % 2 else "lower"
        if i % 5 == 4:
            src = ";;"
        else:
            src = f"{indicators[i % len(indicators)]};{level};{area}"
        kpis.append(
            f"K{i};{goal};Indicator {i};;{src};;{direction};{100 + i};2020;{i % 3};{5 + i % 7};"
            f"{110 + i};{150 + i}"
        )
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "goals.csv"), "w") as f:
        f.write("\n".join(goals) + "\n")
    with open(os.path.join(out, "kpis.csv"), "w") as f:
        f.write("\n".join(kpis) + "\n")


if __name__ == "__main__":
    main()
