"""The project index's answers about what project code makes and keeps: the generator a
function returns, the generators a class keeps on its instances (through its bases), the
attributes a method re-seeds, the distribution a function returns, the DataLoader a function's
``**kwargs`` reach. Read from the summaries pass 1 writes (``project_facts``); a mixin of
``reprolint.semantic.project.ProjectIndex``, whose lookups it uses."""

from __future__ import annotations

from typing import Optional

from reprolint.semantic import project_facts
from reprolint.semantic.project_summary import EXTERNAL_ROOTS, MAX_DEPTH

# Keys of a function's summary that make its name one the prefilter lets stand for the rules.
MADE_VALUE_KEYS = (project_facts.RETURNS_GENERATOR, project_facts.HOLDS_GENERATORS,
                   project_facts.RETURNS_DISTRIBUTION, project_facts.FORWARDS_TO_DATALOADER)


class MadeValueQueries:
    """``ProjectIndex``'s questions about generators, distributions and DataLoaders (it provides
    ``_lookup``, ``_function`` and ``_facts_cache``)."""

    def returned_generator(self, qualname: Optional[str], depth: int = 0) -> Optional[dict]:
        """The generator a project function returns (``project_facts.generator_made_by``, with
        ``where`` it is made), also through another project function it returns the result of."""
        if depth > MAX_DEPTH or not qualname or qualname.startswith(EXTERNAL_ROOTS):
            return None
        located = self._lookup(qualname)
        function = located[0]["functions"].get(located[1]) if located else None
        if function is None:
            return None
        made = function.get(project_facts.RETURNS_GENERATOR)
        if made is not None:
            return {**made, "where": f"`{located[0]['name']}.{located[1]}`, line {made['line']}"}
        returned = function.get("returns")
        return self.returned_generator(returned, depth + 1) if returned and returned != qualname else None

    def held_generators(self, qualname: Optional[str]) -> dict:
        """The generators a project class keeps on its instances: attribute -> what
        ``generator_made_by`` says (seeded also where another method re-seeds the attribute),
        with ``where`` it is made. Empty for a name that is no project class."""
        if not qualname or qualname.startswith(EXTERNAL_ROOTS):
            return {}
        key = ("held", qualname)
        cached = self._facts_cache.get(key)
        if cached is None:
            held: dict = {}
            self._collect_held(qualname, held, set(), 0)
            cached = self._facts_cache[key] = held
        return cached

    def _collect_held(self, qualname: str, held: dict, reseeded: set, depth: int) -> None:
        located = self._lookup(qualname)
        if located is None or depth > MAX_DEPTH or located[1] not in located[0]["classes"]:
            return
        summary, local = located
        prefix = local + "."
        found: dict = {}
        for name, function in summary["functions"].items():
            if not name.startswith(prefix):
                continue
            reseeded.update(function.get(project_facts.RESEEDS_ATTRIBUTES, ()))
            for attr, made in function.get(project_facts.HOLDS_GENERATORS, {}).items():
                merged = project_facts.merged_generators(found.get(attr), made)
                found[attr] = {**merged, "where": found.get(attr, {}).get("where")
                               or f"`{summary['name']}.{name}`, line {made['line']}"}
        for attr, made in found.items():
            if attr not in held:  # a subclass's own assignment wins over its base's
                held[attr] = made
        for base in summary["classes"].get(local, ()):
            self._collect_held(base, held, reseeded, depth + 1)
        if depth == 0:
            for attr in reseeded & held.keys():
                held[attr] = {**held[attr], "seeded": True}

    def reseeded_by(self, class_qualname: Optional[str], method: str, depth: int = 0) -> frozenset:
        """The attributes a project class's method (its own or a base's) re-seeds or makes anew
        seeded (``def reset(self): self.generator.manual_seed(self.seed)``)."""
        located = self._lookup(class_qualname) if class_qualname and depth <= MAX_DEPTH else None
        if located is None or located[1] not in located[0]["classes"]:
            return frozenset()
        summary, local = located
        function = summary["functions"].get(f"{local}.{method}")
        if function is not None:
            made = function.get(project_facts.HOLDS_GENERATORS, {})
            return frozenset(function.get(project_facts.RESEEDS_ATTRIBUTES, ())) | {
                attr for attr, generator in made.items() if generator["seeded"]}
        for base in summary["classes"].get(local, ()):
            found = self.reseeded_by(base, method, depth + 1)
            if found:
                return found
        return frozenset()

    def returns_distribution(self, qualname: Optional[str], depth: int = 0) -> bool:
        """Whether a project function returns a latent distribution (``vae.encode(x).latent_dist``,
        a ``DiagonalGaussianDistribution``), also through another project function."""
        if depth > MAX_DEPTH or not qualname or qualname.startswith(EXTERNAL_ROOTS):
            return False
        function = self._function(qualname)
        if function is None:
            return False
        if function.get(project_facts.RETURNS_DISTRIBUTION):
            return True
        returned = function.get("returns")
        return bool(returned) and returned != qualname and self.returns_distribution(returned, depth + 1)

    def dataloader_forwarding(self, qualname: Optional[str]) -> Optional[dict]:
        """A project function whose ``**kwargs`` reach a ``DataLoader`` that gives neither
        ``generator=`` nor ``worker_init_fn=`` (``project_facts.dataloader_forwarding``), with
        ``where`` that DataLoader is."""
        if not qualname or qualname.startswith(EXTERNAL_ROOTS):
            return None
        located = self._lookup(qualname)
        function = located[0]["functions"].get(located[1]) if located else None
        loader = function.get(project_facts.FORWARDS_TO_DATALOADER) if function else None
        if loader is None:
            return None
        return {**loader, "where": f"`{located[0]['name']}.{located[1]}`, line {loader['line']}"}
