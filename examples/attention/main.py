# A tiny attention model as PyTorch users write it: a one-block, decoder-only
# transformer (token + position embeddings, causal nn.MultiheadAttention, MLP, pre-norm
# residuals) learning to continue a sequence, with only the imports changed.
import argparse
import math

import tinygrad_jp as torch
import tinygrad_jp.nn as nn
import tinygrad_jp.nn.functional as F


class Block(nn.Module):
    def __init__(self, d_model, n_head, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_head, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model),
            nn.GELU(),
            nn.Linear(4 * d_model, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x, causal_mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=causal_mask, need_weights=False, is_causal=True)
        x = x + a
        return x + self.mlp(self.ln2(x))


class TinyTransformer(nn.Module):
    def __init__(self, vocab_size, block_size, d_model=32, n_head=4, n_layer=2, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList([Block(d_model, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx, targets=None):
        b, t = idx.shape
        pos = torch.arange(t)
        x = self.tok_emb(idx) + self.pos_emb(pos)
        # True above the diagonal: position i may not look at the future j > i
        causal_mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        for block in self.blocks:
            x = block(x, causal_mask)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            next_id = logits[:, -1, :].argmax(dim=-1, keepdim=True)
            idx = torch.cat((idx, next_id), dim=1)
        return idx


def get_batch(batch_size, block_size, vocab_size):
    """Sequences that count up modulo vocab_size from a random start: the model must
    attend to the previous token to predict the next one."""
    start = torch.randint(0, vocab_size, (batch_size, 1))
    seq = (start + torch.arange(block_size + 1)) % vocab_size
    return seq[:, :-1], seq[:, 1:]


def main():
    parser = argparse.ArgumentParser(description='Tiny attention model')
    parser.add_argument('--vocab-size', type=int, default=16)
    parser.add_argument('--block-size', type=int, default=8)
    parser.add_argument('--d-model', type=int, default=32)
    parser.add_argument('--n-head', type=int, default=4)
    parser.add_argument('--n-layer', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=300)
    parser.add_argument('--lr', type=float, default=3e-3)
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--dry-run', action='store_true', help='a few steps only')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = TinyTransformer(args.vocab_size, args.block_size, args.d_model, args.n_head,
                            args.n_layer)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{n_params} parameters; loss of a uniform guess: {math.log(args.vocab_size):.4f}')
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)

    steps = 3 if args.dry_run else args.steps
    for step in range(steps):
        x, y = get_batch(args.batch_size, args.block_size, args.vocab_size)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % args.log_interval == 0 or step == steps - 1:
            print(f'step {step:4d}  loss {loss.item():.4f}')

    model.eval()
    prompt = torch.tensor([[3, 4, 5]])
    print('continue 3 4 5:', model.generate(prompt, 6)[0].tolist())


if __name__ == '__main__':
    main()
