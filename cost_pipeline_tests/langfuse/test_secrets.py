from urllib.parse import quote

from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.langfuse.secrets import Scrubber, describe_secret, mask_key, scrub
from cost_pipeline_tests.langfuse.leaks import CREDENTIAL, leaked
from cost_pipeline_tests.langfuse.leaks import PUBLIC as LEAK_PUBLIC
from cost_pipeline_tests.langfuse.leaks import SECRET as LEAK_SECRET

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


def test_scrub_hides_the_basic_credential_whichever_order_the_keys_come_in():
    # ingest_load scrubs failures with (secret, public); Basic auth sends "public:secret".
    text = f"proxy says: Authorization: Basic {CREDENTIAL} (url: auth={quote(CREDENTIAL)})"
    for keys in ([LEAK_SECRET, LEAK_PUBLIC], [LEAK_PUBLIC, LEAK_SECRET]):
        cleaned = scrub(text, keys)
        assert leaked(cleaned) == []
        assert "Basic [redacted]" in cleaned


def test_scrub_hides_a_piece_of_a_key_that_someone_else_cut():
    text = f"key starting {LEAK_SECRET[:24]}… rejected; key ending …{LEAK_SECRET[-24:]}"
    cleaned = scrub(text, [LEAK_SECRET, LEAK_PUBLIC])
    assert leaked(cleaned) == []
    assert cleaned.startswith("key starting [redacted]…")


def test_a_key_that_may_be_shown_still_hides_the_credential_it_is_part_of():
    # serve-local's built-in public key is documented; the Basic credential with it is not.
    text = f"sent {LEAK_PUBLIC} as Authorization: Basic {CREDENTIAL}"
    cleaned = Scrubber([LEAK_SECRET, LEAK_PUBLIC], shown=[LEAK_PUBLIC]).scrub(text)
    assert cleaned == f"sent {LEAK_PUBLIC} as Authorization: Basic [redacted]"
