"""A test that imports the training script to test it: the script stays a script (RPL301 there)."""
import train_seeded


def test_main_exists():
    assert callable(train_seeded.main)
