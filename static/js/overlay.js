// Point overlays: pinch (or Ctrl + wheel) zooms, a drag moves the zoomed photo, + and − zoom,
// a double tap zooms in there (or back out), and a tap names the nearest point.
(function () {
  "use strict";
  var MIN_SCALE = 1, MAX_SCALE = 24, TAP_PX = 8, PICK_PX = 24;

  document.querySelectorAll("[data-pan-zoom]").forEach(function (stage) {
    var svg = stage.querySelector("svg.overlay");
    if (!svg) return;
    var info = stage.querySelector(".point-info");
    var full = svg.dataset.full.split(" ").map(Number);
    var pointers = new Map();
    var gesture = null;
    var lastTap = null;

    function box() { return svg.getAttribute("viewBox").split(/[\s,]+/).map(Number); }

    // The box keeps its shape; it never shows more than the whole photo, nor less than 1/24 of it.
    function show(b) {
      var scale = full[2] / b[2];
      if (scale < MIN_SCALE) { b = [b[0], b[1], full[2], full[2] * b[3] / b[2]]; }
      if (scale > MAX_SCALE) { b = [b[0], b[1], full[2] / MAX_SCALE, b[3] * (b[2] * MAX_SCALE / full[2])]; }
      b[0] = Math.min(Math.max(b[0], full[0]), full[0] + full[2] - b[2]);
      b[1] = b[3] >= full[3] ? full[1] + (full[3] - b[3]) / 2 : Math.min(Math.max(b[1], full[1]), full[1] + full[3] - b[3]);
      svg.setAttribute("viewBox", b.map(function (v) { return Math.round(v * 100) / 100; }).join(" "));
      stage.classList.toggle("zoomed", b[2] < full[2] * 0.999);
    }

    // A point of the screen in the photo's pixels, through `matrix` (the screen's, by default).
    function toPhoto(clientX, clientY, matrix) {
      var point = svg.createSVGPoint();
      point.x = clientX;
      point.y = clientY;
      var q = point.matrixTransform(matrix || svg.getScreenCTM().inverse());
      return [q.x, q.y];
    }

    // The photo's pixels in one pixel of the screen.
    function unit() { return 1 / svg.getScreenCTM().a; }

    function zoomAt(factor, clientX, clientY) {
      var b = box();
      var p = toPhoto(clientX, clientY);
      show([p[0] - (p[0] - b[0]) / factor, p[1] - (p[1] - b[1]) / factor, b[2] / factor, b[3] / factor]);
    }

    function centre() {
      var r = svg.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    }

    // What a gesture starts from: the box, the fingers, and how the screen maps to the photo.
    function begin(points, start) {
      var ctm = svg.getScreenCTM();
      var b = box();
      return {
        box: b, points: points.map(function (p) { return p.slice(); }), start: start,
        inverse: ctm.inverse(), unit: 1 / ctm.a, origin: [ctm.e + ctm.a * b[0], ctm.f + ctm.d * b[1]],
        moved: true, many: true, time: 0,
      };
    }

    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      pointers.set(event.pointerId, [event.clientX, event.clientY]);
      try { svg.setPointerCapture(event.pointerId); } catch (e) { /* a pointer the browser did not make */ }
      var list = Array.from(pointers.values());
      gesture = begin(list, [event.clientX, event.clientY]);
      gesture.many = list.length > 1;
      gesture.moved = false;
      gesture.time = Date.now();
    });

    svg.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId) || !gesture) return;
      pointers.set(event.pointerId, [event.clientX, event.clientY]);
      var list = Array.from(pointers.values());
      var b = gesture.box, u = gesture.unit, o = gesture.origin;
      if (Math.hypot(event.clientX - gesture.start[0], event.clientY - gesture.start[1]) > TAP_PX) gesture.moved = true;
      if (list.length >= 2 && gesture.points.length >= 2) {
        // Pinch: the photo under the fingers stays under them.
        var a0 = gesture.points[0], b0 = gesture.points[1], a1 = list[0], b1 = list[1];
        var factor = Math.hypot(a1[0] - b1[0], a1[1] - b1[1]) / Math.max(1, Math.hypot(a0[0] - b0[0], a0[1] - b0[1]));
        var mid0 = [(a0[0] + b0[0]) / 2, (a0[1] + b0[1]) / 2], mid1 = [(a1[0] + b1[0]) / 2, (a1[1] + b1[1]) / 2];
        var p = toPhoto(mid0[0], mid0[1], gesture.inverse);
        show([p[0] - (mid1[0] - o[0]) * u / factor, p[1] - (mid1[1] - o[1]) * u / factor, b[2] / factor, b[3] / factor]);
        event.preventDefault();
      } else if (list.length === 1 && stage.classList.contains("zoomed") && !gesture.many) {
        show([b[0] - (event.clientX - gesture.start[0]) * u, b[1] - (event.clientY - gesture.start[1]) * u, b[2], b[3]]);
        event.preventDefault();
      }
    });

    function release(event) {
      if (!pointers.has(event.pointerId)) return;
      pointers.delete(event.pointerId);
      if (event.type === "pointerup" && gesture && !gesture.moved && !gesture.many && Date.now() - gesture.time < 600) {
        tap(event.clientX, event.clientY);
      }
      // The finger left on the photo carries on from where the pinch ended.
      var rest = Array.from(pointers.values());
      gesture = rest.length ? begin(rest, rest[0].slice()) : null;
    }
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);

    function tap(x, y) {
      var now = Date.now();
      if (lastTap && now - lastTap.time < 350 && Math.hypot(x - lastTap.x, y - lastTap.y) < 30) {
        lastTap = null;
        if (stage.classList.contains("zoomed")) show(full.slice()); else zoomAt(3, x, y);
        return;
      }
      lastTap = { time: now, x: x, y: y };
      pick(x, y);
    }

    // The nearest visible point within a fingertip of the tap.
    function pick(x, y) {
      if (!info) return;
      var p = toPhoto(x, y);
      var reach = PICK_PX * unit();
      var best = null;
      function consider(px, py, label, element) {
        var d = Math.hypot(px - p[0], py - p[1]);
        if (d <= reach && (!best || d < best.d)) best = { d: d, label: label, element: element };
      }
      svg.querySelectorAll(".grp:not(.hidden) circle").forEach(function (c) {
        var title = c.querySelector("title");
        consider(+c.getAttribute("cx"), +c.getAttribute("cy"), title ? title.textContent : "", c);
      });
      svg.querySelectorAll(".grp:not(.hidden) polyline[data-name]").forEach(function (line) {
        var count = +line.dataset.count;
        line.getAttribute("points").trim().split(/\s+/).slice(0, count).forEach(function (pair, i) {
          var xy = pair.split(",").map(Number);
          consider(xy[0], xy[1], line.dataset.name + "_" + i + " (" + xy[0] + ", " + xy[1] + ")", line);
        });
      });
      svg.querySelectorAll(".picked").forEach(function (e) { e.classList.remove("picked"); });
      if (!best) { info.hidden = true; return; }
      best.element.classList.add("picked");
      info.textContent = best.label;
      info.hidden = false;
    }

    svg.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) return;  // a trackpad pinch, or Ctrl + wheel
      event.preventDefault();
      zoomAt(Math.exp(-event.deltaY / 300), event.clientX, event.clientY);
    }, { passive: false });

    (stage.closest(".viewer") || stage).querySelectorAll("[data-zoom-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var c = centre();
        zoomAt(+button.dataset.zoomStep, c[0], c[1]);
      });
    });

    // The photo's pixels in one screen pixel, for the stylesheet: dots never shrink below
    // a few screen pixels, however large the photo or small the screen.
    function scaled() {
      var ctm = svg.getScreenCTM();
      if (ctm && ctm.a) svg.style.setProperty("--u", String(1 / ctm.a));
    }

    // The "zoom to faces" button sets the box as it is; start gestures from there.
    new MutationObserver(function () {
      stage.classList.toggle("zoomed", box()[2] < full[2] * 0.999);
      scaled();
    }).observe(svg, { attributes: true, attributeFilter: ["viewBox"] });
    window.addEventListener("resize", scaled);
    scaled();
  });
})();
