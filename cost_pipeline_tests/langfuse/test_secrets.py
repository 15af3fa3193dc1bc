from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.langfuse.secrets import describe_secret, mask_key, scrub

SECRET = "sk-lf-0123456789abcdef0123"
PUBLIC = "pk-lf-fedcba9876543210"


def test_mask_keeps_prefix_and_tail_only():
    assert mask_key(PUBLIC) == "pk-lf-…3210"
    assert mask_key(SECRET) == "sk-lf-…0123"
    assert mask_key("") == "(empty)"
    assert "short" not in mask_key("short")


def test_secret_description_never_contains_it():
    assert SECRET not in describe_secret(SECRET)
    assert describe_secret("") == "not set"


def test_scrub_removes_keys_from_text():
    text = f"server said: key {SECRET} for {PUBLIC} is wrong"
    cleaned = scrub(text, [SECRET, PUBLIC])
    assert SECRET not in cleaned and PUBLIC not in cleaned
    assert "sk-lf-…0123" in cleaned


def test_resource_repr_and_str_hide_keys():
    resource = LangfuseResource(base_url="http://x", public_key=PUBLIC, secret_key=SECRET)
    for text in (repr(resource), str(resource)):
        assert SECRET not in text
        assert PUBLIC not in text
    assert resource.connection().secret_key == SECRET
