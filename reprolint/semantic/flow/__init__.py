"""The flow engine: the parts of ``reprolint.semantic.analyzer.Analyzer`` that walk a module.

``state`` holds the abstract state carried along the walk; ``statements``, ``expressions``,
``scopes`` and ``calls`` each contribute the methods for one kind of syntax. A call is handed to
the API family that owns its qualified name, its receiver's value type or its callee's value type
(``reprolint.semantic.families``); the engine itself knows no library.
"""
