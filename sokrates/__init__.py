"""SOKRATES research pipeline: optionized proofs of PrOntoQA-style problems, verified step by step,
trained with SFT and iterated DPO. No agent code lives here: the pipeline stands on its own."""
__version__ = "0.1.0"
