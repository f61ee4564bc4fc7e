"""Shared test files of control games: matching pennies as a library (blue guesses a coin red shows)."""

PENNIES = """\
name: pennies
version: "1"
types: {Coin: [h, t], Outcome: [right, wrong]}
parameters:
  p: {domain: [0, 1], default: 0.5, doc: "blue guesses heads"}
  q: {domain: [0, 1], default: 0.5, doc: "red shows heads"}
components:
  coin: {outputs: {coin: Coin}, parameters: [q], kernel: {table: {h: q, t: 1 - q}}}
  guess: {outputs: {guess: Coin}, parameters: [p], kernel: {table: {h: p, t: 1 - p}}}
  referee:
    inputs: {coin: Coin, guess: Coin}
    outputs: {outcome: Outcome}
    kernel: {function: {h: {h: right, t: wrong}, t: {h: wrong, t: right}}}
"""
