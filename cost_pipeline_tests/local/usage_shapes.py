"""Provider usage shapes the tests send, and the token classes each one holds."""

from cost_pipeline.llm.pricing import TokenUsage

# Anthropic's raw keys, as a flat usage map (no total): cache reads on top of input.
CLAUDE_RAW = {"input_tokens": 120000, "output_tokens": 30000, "cache_read_input_tokens": 1000}
CLAUDE_RAW_CLASSES = TokenUsage(input=120000, cache_read=1000, output=30000)
# OpenAI's Chat Completions usage with audio details inside prompt and completion tokens.
AUDIO_CHAT = {
    "prompt_tokens": 2000,
    "completion_tokens": 1000,
    "total_tokens": 3000,
    "prompt_tokens_details": {"audio_tokens": 1500},
    "completion_tokens_details": {"audio_tokens": 800},
}
AUDIO_CHAT_CLASSES = TokenUsage(input=500, input_audio=1500, output=200, output_audio=800)
