import nunjucks from 'nunjucks';
import { add, contains, div, equals, floorDiv, isDict, mod, mul, pyStr, sub, truthy, unwrap } from './python-values.js';

/**
 * nunjucks parses Jinja's syntax but evaluates it as JavaScript. These patches to its parser and
 * code generator make the generated code call Python's semantics (python-values.ts) instead:
 *
 * - `if`, `not`, `and`, `or`, inline `x if c else y`: Python's truth (`[]`, `{}` and '' are false);
 *   `and`/`or` return an operand, as in Python.
 * - `+ - * / // %`, `~`, `==`, `!=`, `in`: Python's operators (`list + list`, `'%s' % x`, ...).
 * - `{{ value }}` prints Python's str(): `True`, `None`, `['a', 'b']`, `5.0`.
 * - `for x in dict` iterates the keys; `for x in items if cond` filters (Jinja's loop filter);
 *   `{% break %}` and `{% continue %}` (dbt enables Jinja's loopcontrols).
 * - `{% set ns.attr = value %}` assigns to a namespace().
 *
 * The generated code is cached by template-cache.ts: change COMPILER_REVISION with these patches.
 */
export const COMPILER_REVISION = 'python-1';

interface NodeClass {
  new (...args: any[]): any;
  extend(name: string, props: object): NodeClass;
}

let installed = false;

export function installJinjaSyntax(): void {
  if (installed) return;
  installed = true;
  const n = nunjucks as any;
  const runtime = n.runtime;
  const nodes = n.nodes;
  const lexer = n.lexer;
  const Compiler = n.compiler.Compiler;
  const Parser = n.parser.Parser;

  runtime.smeltPy = {
    add, sub, mul, div, floorDiv, mod, equals, truthy,
    concat: (a: unknown, b: unknown) => pyStr(a) + pyStr(b),
    and: (a: unknown, b: () => unknown) => (truthy(a) ? b() : a),
    or: (a: unknown, b: () => unknown) => (truthy(a) ? a : b()),
    iter: (value: unknown) => {
      const v = unwrap(value);
      if (isDict(v)) return Object.keys(v);
      if (v instanceof Map || v instanceof Set) return [...v.keys()];
      return v;
    },
    filterLoop: (items: unknown, keep: (item: unknown) => unknown) => {
      const list = runtime.fromIterator(items);
      return Array.isArray(list) ? list.filter((item) => truthy(keep(item))) : list;
    },
    setAttr: (target: unknown, key: unknown, value: unknown) => {
      if (target === null || typeof target !== 'object') throw new Error(`cannot set attribute '${String(key)}' on ${pyStr(target)}: use a namespace()`);
      (target as Record<string, unknown>)[String(key)] = value;
    },
  };
  runtime.inOperator = (key: unknown, container: unknown) => contains(container, key);
  const SafeString = runtime.SafeString;
  runtime.suppressValue = (value: unknown, autoescape: boolean) => {
    const text = typeof value === 'string' || value instanceof SafeString ? value : pyStr(value);
    return autoescape && !(text instanceof SafeString) ? n.lib.escape(String(text)) : text;
  };

  // Wrapper nodes the code generator understands.
  const Node = nodes.Node as NodeClass;
  const PyTruthy = Node.extend('PyTruthy', { fields: ['target'] });
  const PyIter = Node.extend('PyIter', { fields: ['target'] });
  const LoopFilter = Node.extend('LoopFilter', { fields: ['arr', 'cond', 'name'] });
  const LoopControl = Node.extend('LoopControl', { fields: ['kind'] });
  const ours = [PyTruthy, PyIter, LoopFilter, LoopControl];

  const assertType = Compiler.prototype.assertType;
  Compiler.prototype.assertType = function (this: unknown, node: unknown, ...types: unknown[]) {
    if (ours.some((type) => node instanceof type)) return;
    return assertType.call(this, node, ...types);
  };
  const call = (name: string, args: number) =>
    function (this: any, node: any, frame: any) {
      this._emit(`runtime.smeltPy.${name}(`);
      this.compile(node.left, frame);
      this._emit(',');
      if (args === 2) this.compile(node.right, frame);
      else {
        this._emit('() => (');
        this.compile(node.right, frame);
        this._emit(')');
      }
      this._emit(')');
    };
  Compiler.prototype.compileAdd = call('add', 2);
  Compiler.prototype.compileSub = call('sub', 2);
  Compiler.prototype.compileMul = call('mul', 2);
  Compiler.prototype.compileDiv = call('div', 2);
  Compiler.prototype.compileFloorDiv = call('floorDiv', 2);
  Compiler.prototype.compileMod = call('mod', 2);
  Compiler.prototype.compileConcat = call('concat', 2);
  Compiler.prototype.compileAnd = call('and', 1);
  Compiler.prototype.compileOr = call('or', 1);
  Compiler.prototype.compileNot = function (this: any, node: any, frame: any) {
    this._emit('!runtime.smeltPy.truthy(');
    this.compile(node.target, frame);
    this._emit(')');
  };
  Compiler.prototype.compilePyTruthy = function (this: any, node: any, frame: any) {
    this._emit('runtime.smeltPy.truthy(');
    this.compile(node.target, frame);
    this._emit(')');
  };
  Compiler.prototype.compilePyIter = function (this: any, node: any, frame: any) {
    this._emit('runtime.smeltPy.iter(');
    this.compile(node.target, frame);
    this._emit(')');
  };
  const compileCompare = Compiler.prototype.compileCompare;
  Compiler.prototype.compileCompare = function (this: any, node: any, frame: any) {
    const op = node.ops.length === 1 ? node.ops[0].type : undefined;
    if (op !== '==' && op !== '!=') return compileCompare.call(this, node, frame);
    this._emit(op === '!=' ? '!runtime.smeltPy.equals(' : 'runtime.smeltPy.equals(');
    this.compile(node.expr, frame);
    this._emit(',');
    this.compile(node.ops[0].expr, frame);
    this._emit(')');
  };
  const compileIf = Compiler.prototype.compileIf;
  Compiler.prototype.compileIf = function (this: any, node: any, frame: any, async: boolean) {
    if (!(node.cond instanceof PyTruthy)) node.cond = new PyTruthy(node.cond.lineno, node.cond.colno, node.cond);
    return compileIf.call(this, node, frame, async);
  };
  const compileInlineIf = Compiler.prototype.compileInlineIf;
  Compiler.prototype.compileInlineIf = function (this: any, node: any, frame: any) {
    if (!(node.cond instanceof PyTruthy)) node.cond = new PyTruthy(node.cond.lineno, node.cond.colno, node.cond);
    return compileInlineIf.call(this, node, frame);
  };
  const compileFor = Compiler.prototype.compileFor;
  Compiler.prototype.compileFor = function (this: any, node: any, frame: any) {
    if (!(node.arr instanceof PyIter) && !(node.arr instanceof LoopFilter) && !(node.name instanceof nodes.Array)) {
      node.arr = new PyIter(node.arr.lineno, node.arr.colno, node.arr);
    }
    return compileFor.call(this, node, frame);
  };
  // for x in items if cond: the items for which cond holds, with x bound while cond is evaluated.
  Compiler.prototype.compileLoopFilter = function (this: any, node: any, frame: any) {
    const item = this._tmpid();
    this._emit('(function(frame) { return runtime.smeltPy.filterLoop(runtime.smeltPy.iter(');
    this.compile(node.arr, frame);
    this._emit(`), function(${item}) { `);
    const names = node.name instanceof nodes.Array ? node.name.children : [node.name];
    if (names.length === 1) this._emit(`frame.set("${names[0].value}", ${item}); `);
    else names.forEach((child: any, i: number) => this._emit(`frame.set("${child.value}", ${item}[${i}]); `));
    this._emit('return ');
    this.compile(node.cond, frame.push());
    this._emit('; }); })(frame.push())');
  };
  Compiler.prototype.compileLoopControl = function (this: any, node: any) {
    this._emitLine(`${node.kind};`);
  };
  const compileSet = Compiler.prototype.compileSet;
  Compiler.prototype.compileSet = function (this: any, node: any, frame: any) {
    const target = node.targets[0];
    if (node.targets.length !== 1 || !(target instanceof nodes.LookupVal)) return compileSet.call(this, node, frame);
    this._emit('runtime.smeltPy.setAttr(');
    this._compileExpression(target.target, frame);
    this._emit(',');
    this._compileExpression(target.val, frame);
    this._emit(',');
    if (node.value) this._compileExpression(node.value, frame);
    else this.compile(node.body, frame);
    this._emitLine(');');
  };

  const parseFor = Parser.prototype.parseFor;
  Parser.prototype.parseFor = function (this: any) {
    const node = parseFor.call(this);
    // nunjucks reads `for x in items if cond` as `items if cond else ''`: Jinja's loop filter.
    if (node.arr instanceof nodes.InlineIf && node.arr.else_ === null) {
      node.arr = new LoopFilter(node.arr.lineno, node.arr.colno, node.arr.body, node.arr.cond, node.name);
    }
    return node;
  };
  // A parenthesised list is a tuple: ('a', 1) is a list here (nunjucks evaluates it with JS's comma operator).
  const compileGroup = Compiler.prototype.compileGroup;
  Compiler.prototype.compileGroup = function (this: any, node: any, frame: any) {
    if (node.children.length === 1) return compileGroup.call(this, node, frame);
    return this._compileAggregate(node, frame, '[', ']');
  };
  // `{% set x -%}` strips the whitespace that starts the block, as `-%}` does everywhere else.
  const parseSet = Parser.prototype.parseSet;
  Parser.prototype.parseSet = function (this: any) {
    const tokens = this.tokens;
    const nextToken = this.nextToken;
    const parser = this;
    // The original skips the block end of `{% set x -%}` without looking at its dash.
    this.nextToken = function (this: any, ...args: unknown[]) {
      const tok = nextToken.apply(parser, args);
      if (tok && tok.type === lexer.TOKEN_BLOCK_END && tok.value.charAt(0) === '-') parser.dropLeadingWhitespace = true;
      return tok;
    };
    try {
      return parseSet.call(this);
    } finally {
      this.nextToken = nextToken;
      void tokens;
    }
  };
  const listMethods: Record<string, (this: unknown[], ...args: any[]) => unknown> = {
    extend(items: unknown[]) {
      this.push(...(runtime.fromIterator(items) as unknown[]));
      return null;
    },
    copy() {
      return [...this];
    },
    clear() {
      this.length = 0;
      return null;
    },
    reverse() {
      Array.prototype.reverse.call(this);
      return null;
    },
    sort(...args: unknown[]) {
      const reverse = (args[args.length - 1] as { reverse?: unknown } | undefined)?.reverse;
      Array.prototype.sort.call(this, (a, b) => ((unwrap(a) as never) < (unwrap(b) as never) ? -1 : (unwrap(a) as never) > (unwrap(b) as never) ? 1 : 0));
      if (truthy(reverse)) Array.prototype.reverse.call(this);
      return null;
    },
  };
  const memberLookup = runtime.memberLookup;
  runtime.memberLookup = function (this: unknown, obj: unknown, name: unknown, ...rest: unknown[]) {
    if (Array.isArray(obj) && typeof name === 'string' && Object.prototype.hasOwnProperty.call(listMethods, name) && rest.length < 2) {
      return listMethods[name]!.bind(obj);
    }
    return memberLookup.call(this, obj, name, ...rest);
  };
  // Python allows a trailing comma in a call: config(unique_key='id', strategy='check',).
  Parser.prototype.parseSignature = function (this: any, tolerant: boolean, noParens: boolean) {
    let tok = this.peekToken();
    if (!noParens && tok.type !== lexer.TOKEN_LEFT_PAREN) {
      if (tolerant) return null;
      this.fail('expected arguments', tok.lineno, tok.colno);
    }
    if (tok.type === lexer.TOKEN_LEFT_PAREN) tok = this.nextToken();
    const args = new nodes.NodeList(tok.lineno, tok.colno);
    const kwargs = new nodes.KeywordArgs(tok.lineno, tok.colno);
    let checkComma = false;
    for (;;) {
      tok = this.peekToken();
      if (!noParens && tok.type === lexer.TOKEN_RIGHT_PAREN) {
        this.nextToken();
        break;
      } else if (noParens && tok.type === lexer.TOKEN_BLOCK_END) {
        break;
      }
      if (checkComma) {
        if (!this.skip(lexer.TOKEN_COMMA)) this.fail('parseSignature: expected comma after expression', tok.lineno, tok.colno);
        checkComma = false;
        continue;
      }
      const arg = this.parseExpression();
      if (this.skipValue(lexer.TOKEN_OPERATOR, '=')) kwargs.addChild(new nodes.Pair(arg.lineno, arg.colno, arg, this.parseExpression()));
      else args.addChild(arg);
      checkComma = true;
    }
    if (kwargs.children.length) args.addChild(kwargs);
    return args;
  };
  // Jinja lets a test take one argument without parentheses: `n is divisibleby 3`.
  const KEYWORDS = ['and', 'or', 'not', 'in', 'is', 'if', 'else'];
  Parser.prototype.parseIs = function (this: any) {
    let node = this.parseCompare();
    if (this.skipSymbol('is')) {
      const not = this.skipSymbol('not');
      let test = this.parseCompare();
      const tok = this.peekToken();
      const argument = tok && ([lexer.TOKEN_INT, lexer.TOKEN_FLOAT, lexer.TOKEN_STRING, lexer.TOKEN_BOOLEAN, lexer.TOKEN_NONE].includes(tok.type) || (tok.type === lexer.TOKEN_SYMBOL && !KEYWORDS.includes(tok.value)));
      if (test instanceof nodes.Symbol && argument) {
        const arg = this.parsePrimary();
        test = new nodes.FunCall(test.lineno, test.colno, test, new nodes.NodeList(arg.lineno, arg.colno, [arg]));
      }
      node = new nodes.Is(node.lineno, node.colno, node, test);
      if (not) node = new nodes.Not(node.lineno, node.colno, node);
    }
    return node;
  };
  const parseStatement = Parser.prototype.parseStatement;
  Parser.prototype.parseStatement = function (this: any) {
    const tok = this.peekToken();
    if (tok.type === lexer.TOKEN_SYMBOL && (tok.value === 'break' || tok.value === 'continue')) {
      this.nextToken();
      this.advanceAfterBlockEnd(tok.value);
      return new LoopControl(tok.lineno, tok.colno, tok.value);
    }
    return parseStatement.call(this);
  };
}
