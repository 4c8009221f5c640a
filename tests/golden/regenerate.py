"""Regenerate the golden resolved dumps: python -m tests.golden.regenerate"""

from graphsim.config.loader import load_machine
from graphsim.graph.dump import resolved_toml
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS, ROOT

for config in sorted(CONFIGS.glob("*.toml")):
    text = resolved_toml(elaborate(load_machine(config))).replace(str(ROOT), "$ROOT")
    (ROOT / "tests" / "golden" / f"{config.stem}.show.toml").write_text(text)
    print("wrote", config.stem)
