/* Site search: results from the Pagefind index, listed under the search box.
 *
 * Pages load only this file. Pagefind (its script, WebAssembly and index chunks) is imported
 * the first time a reader focuses or types in a search box. Without JavaScript the box is a
 * plain form to search/, and there this script runs the query in ?q=.
 *
 * The issues are indexed in shards (digest/search.py), listed in pagefind/shards.json: shard 0
 * is the bundle pagefind.js belongs to, the others hold index data only. Every page of every
 * language is in one index per shard (digest/search.py FORCE_LANGUAGE); every shard's is merged
 * in, and Pagefind ranks all of them by score. Pagefind skips a merge whose path starts its own
 * bundle's path, so merges are given absolute URLs.
 *
 * Chinese, Japanese and Korean letters are indexed one a word, so a run of them in the query is
 * searched as an exact phrase of its letters (see `searches`), and the spaces the index put
 * between them are taken out of titles and excerpts again (`unspace`).
 */
(function () {
  "use strict";
  if (window.digestSearch) return; // the search page includes the box twice
  /* find(query, base): every result's URL, best first (tests measure search with it). */
  window.digestSearch = { find: find };

  var BOX_LIMIT = 6;
  var PAGE_STEP = 20;
  var engines = {};

  /* The Pagefind module with all languages merged (null for an empty index), loaded once. */
  function engine(base) {
    var bundle = new URL(base + "pagefind/", location.href).href;
    if (!engines[bundle]) engines[bundle] = start(bundle, base);
    return engines[bundle];
  }

  async function start(bundle, base) {
    var response = await fetch(bundle + "shards.json", { cache: "no-cache" });
    if (!response.ok) throw new Error("no search index (HTTP " + response.status + ")");
    var shards = (await response.json()).shards || [];
    var first = shards.length ? shards[0].languages : {};
    if (!Object.keys(first).length) return null;
    var pagefind = await import(bundle + "pagefind.js");
    await pagefind.options({ baseUrl: base, excerptLength: 24 });
    var primary = primaryLanguage(first);
    var merges = [];
    shards.forEach(function (shard, number) {
      Object.keys(shard.languages).forEach(function (key) {
        if (number || key !== primary) {
          merges.push(pagefind.mergeIndex(bundle + shard.path, { language: key, baseUrl: base }));
        }
      });
    });
    await Promise.all(merges);
    return pagefind;
  }

  /* The index of shard 0 Pagefind picks for this page (as its findIndex does), so it is not
   * merged twice. `languages` maps each language to its page count. */
  function primaryLanguage(languages) {
    var lang = (document.documentElement.getAttribute("lang") || "unknown").toLowerCase();
    if (languages[lang]) return lang;
    if (languages[lang.split("-")[0]]) return lang.split("-")[0];
    return Object.keys(languages).sort(function (a, b) { return languages[b] - languages[a]; })[0];
  }

  /* Kana, ideographs and hangul: digest/search.py indexes each of these letters as a word. */
  var LETTER = "\u3005\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf" +
    "\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\u{20000}-\u{3134f}";
  var RUN = new RegExp("[" + LETTER + "]+", "gu");
  /* A space the index put between two of these letters, or beside their punctuation. */
  var WIDE = "[" + LETTER + "\u3000-\u303f\uff01-\uff60\u2018\u2019\u201c\u201d]";
  var SPACED = new RegExp("(" + WIDE + "(?:</?mark>)*) (?=(?:</?mark>)*" + WIDE + ")", "gu");

  /* The searches a query makes, and a page must be found by all: each run of those letters
   * an exact phrase of its letters (开源 is "开 源", found inside 开源项目 and 宣布开源 alike,
   * never in 开发资源), and the rest of the query one ordinary search. */
  function searches(query) {
    var terms = [];
    var rest = query.replace(RUN, function (run) {
      terms.push('"' + Array.from(run).join(" ") + '"');
      return " ";
    });
    if (/[\p{L}\p{N}]/u.test(rest)) terms.push(rest.trim());
    return terms;
  }

  /* The index's text as it was written: without the spaces between those letters. */
  function unspace(text) {
    return text.replace(SPACED, "$1").replace(/<\/mark><mark>/g, "");
  }

  /* Pagefind's results for `query` in the index below `base`, best first. */
  async function lookUp(base, query) {
    var pagefind = await engine(base);
    if (!pagefind) return [];
    var terms = searches(query);
    var lists = await Promise.all(terms.map(function (term) { return pagefind.search(term); }));
    if (lists.length === 1) return lists[0].results;
    var found = {};
    lists.forEach(function (list) {
      list.results.forEach(function (result) {
        var seen = found[result.id] || (found[result.id] = { result: result, times: 0, score: 0 });
        seen.times += 1;
        seen.score += result.score;
      });
    });
    return Object.keys(found).map(function (id) { return found[id]; })
      .filter(function (seen) { return seen.times === lists.length; })
      .sort(function (a, b) { return b.score - a.score; })
      .map(function (seen) { return seen.result; });
  }

  async function find(query, base) {
    var found = await lookUp(base || "/", query);
    var data = await Promise.all(found.map(function (result) { return result.data(); }));
    return data.map(function (page) { return page.url; });
  }

  function setup(form) {
    var page = form.getAttribute("data-search") === "page";
    var base = form.getAttribute("data-search-base") || "/";
    var input = form.querySelector("input[name=q]");
    var status = form.querySelector("[data-search-status]");
    var panel = form.querySelector("[data-search-results]");
    var ticket = 0;
    var timer = 0;
    var results = [];
    var shown = 0;
    var list = null;

    function message(name, values) {
      return (form.getAttribute("data-msg-" + name) || "").replace(/\{(\w+)\}/g, function (_, key) {
        return values[key];
      });
    }

    function open() {
      if (panel.firstChild) panel.hidden = false;
    }

    function close() {
      if (!page) panel.hidden = true;
    }

    function note(text) {
      var p = document.createElement("p");
      p.className = "search-note";
      p.textContent = text;
      return p;
    }

    function entry(data) {
      var li = document.createElement("li");
      li.className = "search-result";
      if (data.meta && data.meta.lang) li.lang = data.meta.lang;
      var link = document.createElement("a");
      link.className = "search-result-title";
      link.href = data.url;
      link.textContent = data.meta && data.meta.title ? unspace(data.meta.title) : data.url;
      var excerpt = document.createElement("p");
      excerpt.className = "search-result-excerpt";
      // Pagefind builds excerpts from our own pages' text, escaped, adding only <mark>.
      excerpt.innerHTML = unspace(data.excerpt);
      li.append(link, excerpt);
      return li;
    }

    async function search() {
      var query = input.value.trim();
      var mine = ++ticket;
      if (page) {
        history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
      }
      if (!query) {
        panel.replaceChildren();
        status.textContent = "";
        close();
        return;
      }
      var found;
      try {
        found = await lookUp(base, query);
      } catch (error) {
        if (mine !== ticket) return;
        panel.replaceChildren(note(message("error", {})));
        status.textContent = message("error", {});
        open();
        return;
      }
      if (mine !== ticket) return;
      results = found;
      shown = 0;
      list = document.createElement("ol");
      list.className = "search-list";
      if (!found.length) {
        panel.replaceChildren(note(message("none", { q: query })));
      } else {
        await more(mine, query);
        if (mine !== ticket) return;
      }
      var count = found.length;
      status.textContent = count ? message(count === 1 ? "one" : "many", { n: count })
        : message("none", { q: query });
      open();
    }

    /* Show the next slice of results: a few under the box, PAGE_STEP at a time on the page. */
    async function more(mine, query) {
      var slice = results.slice(shown, shown + (page ? PAGE_STEP : BOX_LIMIT));
      var data = await Promise.all(slice.map(function (result) { return result.data(); }));
      if (mine !== ticket) return null;
      var added = data.map(entry);
      list.append.apply(list, added);
      shown += added.length;
      var parts = [list];
      if (!page && results.length > shown) {
        var all = document.createElement("a");
        all.className = "search-all";
        all.href = form.action + "?q=" + encodeURIComponent(query);
        all.textContent = message("all", { n: results.length });
        parts.push(all);
      } else if (page && results.length > shown) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "search-more";
        button.textContent = message("more", {});
        button.addEventListener("click", async function () {
          var first = await more(ticket, query);
          if (first) first.querySelector("a").focus();
        });
        parts.push(button);
      }
      panel.replaceChildren.apply(panel, parts);
      return added[0] || null;
    }

    input.addEventListener("focus", function () {
      engine(base).catch(function () {}); // start loading; search() reports a failure
      if (input.value.trim()) open();
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = panel.querySelector("a, button");
        if (first) {
          event.preventDefault();
          open();
          first.focus();
        }
      } else if (event.key === "Escape" && !page && !panel.hidden) {
        event.preventDefault();
        close();
      }
    });
    panel.addEventListener("keydown", function (event) {
      var targets = Array.prototype.slice.call(panel.querySelectorAll("a, button"));
      var index = targets.indexOf(document.activeElement);
      if ((event.key === "ArrowDown" || event.key === "ArrowUp") && index >= 0) {
        event.preventDefault();
        var next = index + (event.key === "ArrowDown" ? 1 : -1);
        (next < 0 ? input : targets[Math.min(next, targets.length - 1)]).focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        input.focus();
        close();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
    });
    document.addEventListener("pointerdown", function (event) {
      if (!form.contains(event.target)) close();
    });
    form.addEventListener("submit", function (event) {
      if (!page) return; // the header box goes to the search page for the full list
      event.preventDefault();
      clearTimeout(timer);
      search();
    });

    if (page) {
      var query = new URLSearchParams(location.search).get("q");
      if (query) {
        input.value = query;
        search();
      }
    }
  }

  document.querySelectorAll("form[data-search]").forEach(setup);
})();
